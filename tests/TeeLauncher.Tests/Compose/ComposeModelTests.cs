using TeeLauncher.Compose;
using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Compose;

/// <summary>
/// The judge of compose's model on what real composes printed for <c>config</c> (tests/fixtures/compose-model, with how
/// each was produced): docker-compose 1.29's YAML and compose 2.26's and 2.40's JSON.
/// </summary>
public sealed class ComposeModelTests : IDisposable
{
    private const string Measured = "reg.example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string Side = "reg.example/side@sha256:2222222222222222222222222222222222222222222222222222222222222222";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("compose-model-tests-");
    private readonly ComposeSeal _seal;

    public ComposeModelTests() => _seal = ComposeSeal.Create(_folder.FullName);

    public void Dispose() => _folder.Delete(recursive: true);

    private static readonly ModelExpectation Expected = new(["app"], Measured, new HashSet<string> { Side });

    private IReadOnlyList<string> Judge(string fixture)
    {
        var output = File.ReadAllText(RepositoryFiles.InRepository("tests", "fixtures", "compose-model", fixture))
            .Replace("@PROJECT@", _seal.ProjectDirectory, StringComparison.Ordinal);
        return ComposeModel.Judge(ComposeModel.Read(output), Expected, _seal);
    }

    [Theory]
    [InlineData("accepted.v2.26.json")]
    [InlineData("accepted.v2.40.json")]
    [InlineData("accepted-v1.v1.29.yml")]
    public void A_model_that_runs_only_the_measured_and_pulled_images_passes(string fixture) =>
        Judge(fixture).Should().BeEmpty();

    [Fact]
    public void Compose_2_40s_model_of_every_unmeasured_way_is_refused_for_each()
    {
        Judge("unmeasured.v2.40.json").Should().BeEquivalentTo(
        [
            "the measured service 'app' has scale 0: compose up would not start it",
            "service 'app' has environment variable 'TOKEN' without a value: compose would copy it from its own environment, which no event covers; give it a value (an empty compose.env value renders as none)",
            "service 'app' volume source './state': a relative or '~' host path: compose runs in an empty directory of the launcher's own, so write the host path absolute",
            "service 'app' volume source './.ssh': a relative or '~' host path: compose runs in an empty directory of the launcher's own, so write the host path absolute",
            "service 'app' mounts the image 'busybox:latest', which the launcher does not pull: an image volume must name the measured image or another service's pinned image",
            "service 'app' has 'use_api_socket', which is not on the launcher's list of service keys known to run only the measured file (docs/spec.md §7)",
            "service 'other' has 'provider', which is not on the launcher's list of service keys known to run only the measured file (docs/spec.md §7)",
            "service 'other' runs 'busybox:latest', which is not an image the launcher pulls pinned by digest",
        ]);
    }

    [Fact]
    public void Compose_2_26_leaves_out_a_profiled_service_and_the_rest_is_refused_alike()
    {
        var problems = Judge("unmeasured-v2.26.v2.26.json");

        problems.Should().Contain("the measured service 'app' has scale 0: compose up would not start it");
        problems.Should().Contain(p => p.Contains("'TOKEN' without a value"));
        problems.Should().Contain(p => p.Contains("mounts the image 'busybox:latest'"));
        problems.Should().Contain("service 'other' runs 'busybox:latest', which is not an image the launcher pulls pinned by digest");
        problems.Should().HaveCount(6);
    }

    [Fact]
    public void Docker_compose_1_29s_yaml_model_is_read_and_judged_alike()
    {
        Judge("unmeasured-v1.v1.29.yml").Should().BeEquivalentTo(
        [
            "the measured service 'app' has scale 0: compose up would not start it",
            "service 'app' has environment variable 'TOKEN' without a value: compose would copy it from its own environment, which no event covers; give it a value (an empty compose.env value renders as none)",
            "service 'app' volume './state:/state:rw': a relative or '~' host path: compose runs in an empty directory of the launcher's own, so write the host path absolute",
            "service 'app' volume './.ssh:/keys:rw': a relative or '~' host path: compose runs in an empty directory of the launcher's own, so write the host path absolute",
            "service 'other' runs 'busybox:latest', which is not an image the launcher pulls pinned by digest",
        ]);
    }

    [Fact]
    public void A_profiled_measured_service_that_compose_v2_left_out_is_missing_and_one_v1_kept_has_profiles()
    {
        var expected = Expected with { MeasuredServices = ["side"], MeasuredImage = Side, PulledImages = new HashSet<string>() };
        var v2 = ComposeModel.Judge(ComposeModel.Read("{\"services\": {}}"), expected, _seal);
        var v1 = ComposeModel.Judge(ComposeModel.Read($"services:\n  side:\n    image: {Side}\n    profiles:\n    - later\n"), expected, _seal);

        v2.Should().Equal("the measured service 'side' is missing: compose would not start it (profiles?)");
        v1.Should().Equal("the measured service 'side' has profiles: compose up would not start it");
    }

    [Fact]
    public void Unknown_top_level_keys_and_config_definition_keys_are_refused()
    {
        var model = $"{{\"services\": {{\"app\": {{\"image\": \"{Measured}\"}}}}, \"models\": {{\"m\": {{}}}}, \"configs\": {{\"c\": {{\"environment\": \"TOKEN\"}}}}}}";

        ComposeModel.Judge(ComposeModel.Read(model), Expected, _seal).Should().Equal(
            "the top-level key 'models' is not one the launcher knows to be safe",
            "configs.c has 'environment', which the launcher does not allow: only file, content, external, name and labels");
    }
}
