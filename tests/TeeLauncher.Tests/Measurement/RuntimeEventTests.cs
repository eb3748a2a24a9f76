using System.Security.Cryptography;
using TeeLauncher.Measurement;

namespace TeeLauncher.Tests.Measurement;

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
    public void The_image_event_carries_the_32_raw_digest_bytes_not_the_text()
    {
        var digest = Support.Digests.A;

        var runtimeEvent = RuntimeEvent.ForImage("mpc-image-digest", digest);

        runtimeEvent.Payload.Should().Equal(Convert.FromHexString(digest.Hex));
        runtimeEvent.Preimage().Should().Equal([0x01, 0x00, 0x00, 0x08, .. ":mpc-image-digest:"u8.ToArray(), .. runtimeEvent.Payload]);
    }
}
