using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Selection;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Selection;

/// <summary>docs/spec.md §10: the approved list is written by the workload; anything but a well-formed list refuses the choice (exit 4).</summary>
public sealed class HostileApprovedListTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static ImageSettings Image(string approvedFile) => new(ImageReference.Parse("127.0.0.1:5000/acme/app"), Digests.A, null, approvedFile);

    [Fact]
    public void A_directory_in_place_of_the_list_is_refused_not_treated_as_missing()
    {
        var select = () => DigestSelector.Select(Image(_dir.Path), new("launcher.toml", new Dictionary<string, (int, int)>()));

        select.Should().Throw<DigestRefusedException>().WithMessage(
            $"{_dir.Path}: approved hashes file is a directory, not a regular file; point it at a regular file; fix or replace the file (the launcher never falls back to the default digest)");
    }

    [Theory]
    [InlineData(new byte[] { 0x7b, 0x22, 0xff, 0x22, 0x3a, 0x5b, 0x5d, 0x7d }, "1:3: approved hashes file is not valid UTF-8")]
    [InlineData(new byte[] { 0x7b, 0x0a, 0x22, 0x5c, 0x75, 0x64, 0x38, 0x30, 0x30, 0x22, 0x3a, 0x5b, 0x5d, 0x7d }, "2:1: approved hashes file has a string that is not valid Unicode")]
    public void Bad_bytes_are_refused_at_their_position(byte[] content, string expected)
    {
        var file = Path.Combine(_dir.Path, "approved.json");
        File.WriteAllBytes(file, content);

        ((Action)(() => ApprovedHashes.Load(file))).Should().Throw<DigestRefusedException>().WithMessage($"{file}:{expected}*");
    }

    [Fact]
    public void Deep_nesting_and_wrong_types_are_refused_at_their_position()
    {
        var nested = _dir.File("nested.json", "{\"approved_hashes\": " + new string('[', 10_000));
        var number = _dir.File("number.json", "{\"approved_hashes\": [1e999]}");

        ((Action)(() => ApprovedHashes.Load(nested))).Should().Throw<DigestRefusedException>().WithMessage($"{nested}:1:*");
        ((Action)(() => ApprovedHashes.Load(number))).Should().Throw<DigestRefusedException>()
            .WithMessage($"{number}:1:22: approved hashes file entry 1: must be a string \"sha256:<64 hex>\"*");
    }

    public void Dispose() => _dir.Dispose();
}
