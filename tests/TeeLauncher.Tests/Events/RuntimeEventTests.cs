using System.Security.Cryptography;
using TeeLauncher.Measurement;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Tests.Events;

public sealed class RuntimeEventTests
{
    [Fact]
    public void The_known_vector_of_spec_5_1_gives_its_digest_and_its_extend_from_zero()
    {
        var runtimeEvent = new RuntimeEvent("app-id", Convert.FromHexString("deadbeef"));

        var digest = runtimeEvent.Digest();
        var extended = SHA384.HashData([.. new byte[48], .. digest]);

        Convert.ToHexStringLower(digest).Should().Be(
            "67b4be4efed0893cfa2bb1d35dca209ad8348b4c97f980807bcde8b9a0f26398dd0923d6eccb5aa2096d98046da8740f");
        Convert.ToHexStringLower(extended).Should().Be(
            "9f1bcb9c4dcada1710bf9612197f4e380a9259241b597f1b834c9b3d9f30ae0569950a92ca118e9d7697d893ea4b6d56");
    }

    [Fact]
    public void The_version_2_vector_of_spec_5_1_gives_its_preimage_digest_and_extend_from_zero()
    {
        var runtimeEvent = new RuntimeEvent("app-id", Convert.FromHexString("deadbeef"), Version: EventVersion.V2);

        var extended = MeasurementRegister.Extend(HashBank.Sha384, new byte[48], runtimeEvent.Digest());

        System.Text.Encoding.UTF8.GetString(runtimeEvent.Preimage()).Should().Be("""{"name":"app-id","payload":"deadbeef","type":134217729}""");
        Convert.ToHexStringLower(runtimeEvent.Digest()).Should().Be(
            "baf3bcd15a9ffbd5d96a054080db0d029d44a88cdb7ea9f9ca5953bf7a1d8d91f9a16c6de05de1034f41295e8cec53dc");
        Convert.ToHexStringLower(extended).Should().Be(
            "e71e40646e2d3395c0460ba2085da37d091d726d767feac8812c9683d8963dede5ed023c1b257d6fff0646660cbf2319");
    }

    /// <summary>The canonical forms that dstack's own tests pin (Dstack-TEE/dstack, dstack/cc-eventlog/src/runtime_events.rs).</summary>
    [Theory]
    [InlineData("event\"with\\special\nchars", "ff", """{"name":"event\"with\\special\nchars","payload":"ff","type":134217729}""")]
    [InlineData("\b\f\n\r\t\u0001", "", """{"name":"\b\f\n\r\t\u0001","payload":"","type":134217729}""")]
    [InlineData("测试-emoji-🦀\u007f", "ABCDEF", "{\"name\":\"测试-emoji-🦀\u007f\",\"payload\":\"abcdef\",\"type\":134217729}")]
    [InlineData("", "", """{"name":"","payload":"","type":134217729}""")]
    public void The_version_2_preimage_is_rfc_8785_canonical_json(string name, string payloadHex, string canonical)
    {
        var preimage = new RuntimeEvent(name, Convert.FromHexString(payloadHex), Version: EventVersion.V2).Preimage();

        System.Text.Encoding.UTF8.GetString(preimage).Should().Be(canonical);
    }

    [Fact]
    public void The_image_event_carries_the_32_raw_digest_bytes_not_the_text()
    {
        var digest = Support.Digests.A;

        var runtimeEvent = RuntimeEvent.ForImage("mpc-image-digest", digest);

        runtimeEvent.Payload.Should().Equal(Convert.FromHexString(digest.Hex));
        runtimeEvent.Preimage().Should().Equal([0x01, 0x00, 0x00, 0x08, .. ":mpc-image-digest:"u8.ToArray(), .. runtimeEvent.Payload]);
    }
}
