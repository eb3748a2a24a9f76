using TeeLauncher.Docker;

namespace TeeLauncher.Tests.Docker;

public sealed class PullFailureTests
{
    [Theory]
    [InlineData("Error response from daemon: Head \"http://127.0.0.1:5001/v2/acme/app/manifests/sha256:aa\": no basic auth credentials", PullFailureClass.Unauthorized)]
    [InlineData("Error response from daemon: unauthorized: authentication required", PullFailureClass.Unauthorized)]
    [InlineData("Error response from daemon: pull access denied for acme/app, repository does not exist or may require 'docker login'", PullFailureClass.Unauthorized)]
    [InlineData("Error response from daemon: manifest for 127.0.0.1:5000/acme/app@sha256:aa not found: manifest unknown: manifest unknown", PullFailureClass.NotFound)]
    [InlineData("Error response from daemon: toomanyrequests: You have reached your pull rate limit.", PullFailureClass.RateLimited)]
    [InlineData("Error response from daemon: Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused", PullFailureClass.Network)]
    [InlineData("Error response from daemon: Get \"https://r.example/v2/\": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)", PullFailureClass.Timeout)]
    [InlineData("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", PullFailureClass.DaemonUnreachable)]
    [InlineData("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Head \"http://%2Fvar%2Frun%2Fdocker.sock/_ping\": dial unix /var/run/docker.sock: connect: permission denied", PullFailureClass.DaemonUnreachable)]
    [InlineData("permission denied while trying to connect to the docker API at unix:///run/docker.sock", PullFailureClass.DaemonUnreachable)]
    [InlineData("error during connect: Get \"http://10.0.0.1:2375/v1.47/images/create\": dial tcp 10.0.0.1:2375: connect: connection refused", PullFailureClass.DaemonUnreachable)]
    [InlineData("something else entirely", PullFailureClass.Other)]
    public void Classifies_docker_output(string output, PullFailureClass expected) =>
        PullFailure.Classify(output).Should().Be(expected);

    [Fact]
    public void Only_authentication_and_not_found_are_permanent()
    {
        Enum.GetValues<PullFailureClass>().Where(c => c.IsPermanent())
            .Should().BeEquivalentTo([PullFailureClass.Unauthorized, PullFailureClass.NotFound]);
    }
}
