using System.Security.Cryptography;
using TeeLauncher.IntegrationTests.Support;

namespace TeeLauncher.IntegrationTests.Measurement;

/// <summary>Issue 4: the tpm backend against a real software TPM (swtpm), checked with tpm2_pcrread and verify.</summary>
public sealed class TpmBackendTests
{
    [Fact]
    public async Task After_a_launch_both_pcr_banks_equal_the_replay_of_the_launchers_log_and_verify_agrees()
    {
        await using var deployment = Deployment.Create("tpm", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Backend = "tpm",
            MeasurementExtra = $"tpm_pcr = {SoftwareTpm.DebugPcr}\ntpm_tcti = \"{TestEnvironment.TpmTcti}\"\n",
        };
        // Start from a value other than zero, as on a PCR that firmware already extended.
        await SoftwareTpm.ResetAsync(SoftwareTpm.DebugPcr);
        await SoftwareTpm.ExtendAsync(SoftwareTpm.DebugPcr, SHA256.HashData("firmware"u8), SHA384.HashData("firmware"u8));
        var before = await SoftwareTpm.ReadAsync(SoftwareTpm.DebugPcr);

        var run = await deployment.LauncherAsync("run");
        run.ExitCode.Should().Be(0, run.Error);
        var after = await SoftwareTpm.ReadAsync(SoftwareTpm.DebugPcr);

        deployment.EventLogLines().Should().HaveCount(2).And.OnlyContain(l => l.Contains($"\"imr\":{SoftwareTpm.DebugPcr}"));
        after.Sha256.Should().Equal(EventLogReplay.Replay(deployment.EventLog, HashAlgorithmName.SHA256, before.Sha256));
        after.Sha384.Should().Equal(EventLogReplay.Replay(deployment.EventLog, HashAlgorithmName.SHA384, before.Sha384));

        foreach (var (value, start) in new[] { (after.Sha256, before.Sha256), (after.Sha384, before.Sha384) })
        {
            var verify = await LauncherProcess.RunAsync(["verify", "--event-log", deployment.EventLog,
                "--pcr", Convert.ToHexStringLower(value), "--base", Convert.ToHexStringLower(start)]);
            verify.ExitCode.Should().Be(0, verify.Output);
            verify.Out.Should().Contain(digest);
        }

        var edited = deployment.WriteFile("edited.jsonl", File.ReadAllText(deployment.EventLog).Replace("launcher-compose-hash", "launcher-compose-hasH"));
        var refused = await LauncherProcess.RunAsync(["verify", "--event-log", edited,
            "--pcr", Convert.ToHexStringLower(after.Sha384), "--base", Convert.ToHexStringLower(before.Sha384)]);
        refused.ExitCode.Should().Be(1, refused.Output);
    }

    [Fact]
    public async Task A_tpm_that_does_not_answer_fails_the_boot_before_the_pull()
    {
        await using var deployment = Deployment.Create("notpm", Toolchain.Debian12);
        var digest = await deployment.PushImageAsync();
        deployment.Approve(digest);
        deployment.Config = deployment.Config with
        {
            Backend = "tpm", MeasurementExtra = "tpm_pcr = 16\ntpm_tcti = \"swtpm:host=127.0.0.1,port=9\"\n",
        };

        var run = await deployment.LauncherAsync("run");

        run.ExitCode.Should().Be(7, run.Error);
        (await deployment.ImagePresentAsync(deployment.Pinned(digest))).Should().BeFalse("the backend is checked before the pull");
    }
}
