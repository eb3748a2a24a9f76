using TeeLauncher.Configuration;
using TeeLauncher.Errors;
using TeeLauncher.Selection;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Selection;

/// <summary>Every row of docs/spec.md §4's selection table.</summary>
public sealed class DigestSelectorTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly ConfigLocations Locations = new("launcher.toml", new Dictionary<string, (int, int)> { ["image.reference"] = (7, 13) });

    private string Approved(params ImageDigest[] digests) =>
        _dir.File("approved.json", $"{{\"approved_hashes\": [{string.Join(", ", digests.Select(d => $"\"{d}\""))}]}}");

    private string MissingFile => _dir.Combine("absent.json");

    private static ImageSettings Image(ImageDigest? @default, ImageDigest? @override, string? approvedFile) =>
        new(ImageReference.Parse("127.0.0.1:5000/acme/app"), @default, @override, approvedFile);

    [Fact]
    public void Not_configured_with_override_chooses_the_override()
    {
        var selection = DigestSelector.Select(Image(Digests.A, Digests.B, null), Locations);
        selection.Should().Be(new DigestSelection(Digests.B, SelectionRule.Override, null, null));
    }

    [Fact]
    public void Not_configured_without_override_chooses_the_default()
    {
        var selection = DigestSelector.Select(Image(Digests.A, null, null), Locations);
        selection.Digest.Should().Be(Digests.A);
        selection.Rule.Should().Be(SelectionRule.Default);
        selection.Reason.Should().Contain("no approved-hashes file configured");
    }

    [Fact]
    public void Configured_but_missing_without_override_chooses_the_default()
    {
        var selection = DigestSelector.Select(Image(Digests.A, null, MissingFile), Locations);
        selection.Digest.Should().Be(Digests.A);
        selection.Rule.Should().Be(SelectionRule.Default);
        selection.Reason.Should().Contain("does not exist");
    }

    [Fact]
    public void Configured_but_missing_with_override_equal_to_default_chooses_it()
    {
        var selection = DigestSelector.Select(Image(Digests.A, Digests.A, MissingFile), Locations);
        selection.Digest.Should().Be(Digests.A);
        selection.Rule.Should().Be(SelectionRule.OverrideEqualsDefault);
    }

    [Fact]
    public void Configured_but_missing_with_other_override_is_refused()
    {
        var act = () => DigestSelector.Select(Image(Digests.A, Digests.B, MissingFile), Locations);
        act.Should().Throw<DigestRefusedException>().Which.ExitCode.Should().Be(ExitCode.DigestRefused);
    }

    [Fact]
    public void Present_with_listed_override_chooses_it_with_its_position()
    {
        var file = Approved(Digests.C, Digests.B, Digests.A);
        var selection = DigestSelector.Select(Image(null, Digests.A, file), Locations);
        selection.Should().Be(new DigestSelection(Digests.A, SelectionRule.ApprovedOverride, 3, file));
        selection.Reason.Should().Contain("position 3");
    }

    [Fact]
    public void Present_with_unlisted_override_is_refused()
    {
        var file = Approved(Digests.C, Digests.B);
        var act = () => DigestSelector.Select(Image(Digests.A, Digests.A, file), Locations);
        act.Should().Throw<DigestRefusedException>().WithMessage($"*{Digests.A}*not listed*");
    }

    [Fact]
    public void Present_without_override_chooses_the_newest_entry()
    {
        var file = Approved(Digests.C, Digests.B);
        var selection = DigestSelector.Select(Image(Digests.A, null, file), Locations);
        selection.Should().Be(new DigestSelection(Digests.C, SelectionRule.NewestApproved, 1, file));
    }

    [Theory]
    [InlineData("{\"approved_hashes\": []}", "at least one entry")]
    [InlineData("{\"approved_hashes\": [\"sha256:ABC\"]}", "entry 1")]
    [InlineData("{\"approved_hashes\": [\"sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeF" + "\"]}", "lowercase hex")]
    [InlineData("{\"approved_hashes\": \"sha256:aa\"}", "must be an array")]
    [InlineData("{\"approved\": []}", "has no \"approved_hashes\" field")]
    [InlineData("[\"sha256:aa\"]", "must be a JSON object")]
    [InlineData("{\"approved_hashes\": [", "")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("", "")]
    public void Malformed_file_is_refused_and_never_falls_back(string content, string reason)
    {
        var file = _dir.File("approved.json", content);
        foreach (var @override in new ImageDigest?[] { null, Digests.A })
        {
            var act = () => DigestSelector.Select(Image(Digests.A, @override, file), Locations);
            act.Should().Throw<DigestRefusedException>().WithMessage($"*{file}*{reason}*never falls back*");
        }
    }

    [Fact]
    public void A_row_needing_a_default_that_is_not_configured_is_a_config_error()
    {
        var act = () => DigestSelector.Select(Image(null, null, MissingFile), Locations);
        act.Should().Throw<ConfigException>().Which.Message.Should().StartWith("launcher.toml:7:13: image.default_digest is needed");
    }

    [Fact]
    public void Position_of_an_error_in_the_file_is_reported()
    {
        var file = _dir.File("approved.json", "{\n  \"approved_hashes\": [\n    \"sha256:zz\"\n  ]\n}");
        var act = () => ApprovedHashes.Load(file);
        act.Should().Throw<DigestRefusedException>().WithMessage($"{file}:3:5: approved hashes file entry 1*");
    }

    public void Dispose() => _dir.Dispose();
}
