using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using TeeLauncher.Docker;
using TeeLauncher.Launch;
using TeeLauncher.Values;

namespace TeeLauncher.Tests.Launch;

public sealed class PullBoardTests
{
    private static readonly ImageDigest Digest = ImageDigest.Parse("sha256:" + new string('e', 64));

    private static PullRequest Request(string repository)
    {
        var image = new PinnedImage(ImageReference.Parse(repository), Digest);
        return new PullRequest(image, PullSource.For(image.Repository, []));
    }

    [Fact]
    public void Reports_every_image_at_most_once_a_second_and_whenever_a_layer_completes()
    {
        var time = new FakeTimeProvider();
        var reports = new List<string>();
        var requests = new[] { Request("registry.test/acme/app"), Request("registry.test/tools/log") };
        var board = new PullBoard(requests, NullLogger.Instance, reports.Add, time);
        var progress = new PullProgress();

        progress.Observe("0123456789ab: Pulling fs layer");
        board.Update(requests[0].Image, progress);
        progress.Observe("123456789abc: Pulling fs layer");
        board.Update(requests[0].Image, progress);
        progress.Observe("0123456789ab: Download complete");
        board.Update(requests[0].Image, progress);
        progress.Observe("0123456789ab: Pull complete");
        board.Update(requests[0].Image, progress);
        time.Advance(PullBoard.Interval);
        progress.Observe("123456789abc: Download complete");
        board.Update(requests[0].Image, progress);

        reports.Should().Equal(
            "pulling 2 images: acme/app 0/1 layers done, 0 downloaded; tools/log waiting",
            "pulling 2 images: acme/app 1/2 layers done, 1 downloaded; tools/log waiting",
            "pulling 2 images: acme/app 1/2 layers done, 2 downloaded; tools/log waiting");
    }
}
