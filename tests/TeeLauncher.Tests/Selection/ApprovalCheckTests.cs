using TeeLauncher.Configuration;
using TeeLauncher.Selection;
using TeeLauncher.Tests.Support;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Selection;

/// <summary>docs/spec.md §4.1: the running digest judged against the approved list as it is now, by the boot's rules.</summary>
public sealed class ApprovalCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string File => _dir.Combine("approved.json");

    private void Approve(params ImageDigest[] digests) =>
        _dir.File("approved.json", $"{{\"approved_hashes\": [{string.Join(", ", digests.Select(d => $"\"{d}\""))}]}}");

    private ApprovalVerdict Judge(ImageDigest running, ImageDigest? @default = null, ImageDigest? @override = null) =>
        ApprovalCheck.Judge(new ImageSettings(ImageReference.Parse("127.0.0.1:5000/acme/app"), @default, @override, File), File, running);

    [Fact]
    public void The_newest_entry_is_approved_with_nothing_newer()
    {
        Approve(Digests.A, Digests.B);

        Judge(Digests.A).Should().Be(new ApprovalVerdict(ApprovalState.Approved, $"listed at position 1 in {File}", 1));
    }

    [Fact]
    public void An_older_entry_is_approved_and_names_the_newer_image_that_runs_after_the_next_boot()
    {
        Approve(Digests.C, Digests.A);

        var verdict = Judge(Digests.A);

        verdict.State.Should().Be(ApprovalState.Approved);
        verdict.Position.Should().Be(2);
        verdict.Newer.Should().Be(Digests.C);
        verdict.Detail.Should().Be($"listed at position 2 in {File}; a newer image is approved ({Digests.C}); it runs after the next boot");
    }

    [Fact]
    public void With_an_override_a_newer_entry_changes_nothing_for_the_next_boot()
    {
        Approve(Digests.C, Digests.A);

        Judge(Digests.A, @override: Digests.A).Should().Be(new ApprovalVerdict(ApprovalState.Approved, $"listed at position 2 in {File}", 2));
    }

    [Fact]
    public void A_digest_no_longer_listed_is_unapproved()
    {
        Approve(Digests.B, Digests.C);

        Judge(Digests.A).Should().Be(new ApprovalVerdict(ApprovalState.Unapproved, $"{Digests.A} is no longer listed in {File} (2 approved digests)"));
    }

    [Theory]
    [InlineData("{\"approved_hashes\": []}", "lists no digest")]
    [InlineData("{\"approved_hashes\": [\"sha256:zz\"]}", "entry 1")]
    [InlineData("{\"approved_hashes\": [", "1:22: approved hashes file is not valid JSON")]
    [InlineData("", "is not valid JSON")]
    public void A_corrupt_or_empty_list_is_unreadable_never_nothing_approved(string content, string problem)
    {
        _dir.File("approved.json", content);

        var verdict = Judge(Digests.A);

        verdict.State.Should().Be(ApprovalState.Unreadable);
        verdict.Detail.Should().StartWith(File).And.Contain(problem);
    }

    [Fact]
    public void A_directory_in_place_of_the_list_is_unreadable()
    {
        Directory.CreateDirectory(File);

        Judge(Digests.A).State.Should().Be(ApprovalState.Unreadable);
    }

    [Fact]
    public void A_missing_list_keeps_the_default_digest_approved_as_at_boot_and_nothing_else()
    {
        Judge(Digests.A, @default: Digests.A).State.Should().Be(ApprovalState.Approved);
        Judge(Digests.B, @default: Digests.A).Should().Be(
            new ApprovalVerdict(ApprovalState.Unapproved, $"{File} does not exist and the running digest is not default_digest"));
    }

    public void Dispose() => _dir.Dispose();
}
