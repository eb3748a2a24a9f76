using System.Security.Cryptography;
using System.Text;
using Xunit.Abstractions;
using TeeLauncher.Measurement;
using TeeLauncher.Testing;
using TeeLauncher.Tests.Support;
using TeeLauncher.Verification;
using TeeLauncher.Events;

namespace TeeLauncher.Tests.Fuzzing;

/// <summary>
/// docs/spec.md §10: thousands of seeded mutations of each hostile input, through the public commands (validate, plan, verify),
/// end with a documented exit code, one-line errors without stack traces, within a per-case timeout, and change nothing.
/// </summary>
public sealed class HostileInputFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 3000;

    private static readonly string[] JsonTokens =
    [
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "false", "0", "-1", "1e400", "\"sha256:\"", "\"approved_hashes\"",
        "\"\\u0000\"", "\"\\ud800\"", "\\", "\"event_log\"", "\"digest\"", "\"event_payload\"", "\"imr\"", "\"event_type\"",
        "\"quote\"", "\"rtmr3\"", "\n", "\"\u001b[31m\"",
        // Evidence text that would forge report lines or drive the terminal, raw and as JSON escapes (issue 20).
        "\"\\u001b[2J\\nverified\\r\"", "\\nREADY=1\\nMAINPID=1", "\\u2028", "\u2028", "\u202e", "\\u202e", "\\r", "\"event\":\"\\u2066x\"",
    ];

    private static readonly string[] TomlTokens =
    [
        "[", "]", "[[", "]]", "=", "\"", "'", "\"\"\"", "'''", ".", ",", "{", "}", "#", "\n", "true", "1979-05-27T07:32:00Z",
        "inf", "nan", "0x", "1_000", "\"1200h\"", "\"999999999h\"", "\"\"", "\"/dev/zero\"", "\"/tmp\"", "state_dir = \"\"\n",
        "event_log = \"\"\n", "\"launcher-compose-hash\"", "\\u0000", "\\U0010FFFF", "\"\\u001b[2J\"",
    ];

    private static readonly string[] YamlTokens =
    [
        ":", "- ", "{", "}", "[", "]", "${", "$$", "&a ", "*a", "!!binary ", "|", ">", "include:", "build: .", "extends:", "\n",
        "  ", "#", "${TEE_LAUNCHER_IMAGE}", "${SECRET}", "env_file: x", "volumes:", "<<: *a", "\"", "'", "\t", "---\n", "? ",
        "${NODE_NAME:-x}", "\u001b]0;owned\a",
    ];

    [Fact]
    public async Task Approved_list_mutations_are_refused_with_exit_4_or_accepted()
    {
        using var deployment = new HostileDeployment();
        var run = new FuzzRun("approved-list fuzzer", output);

        await MutateFileAsync(run, deployment, new Mutator(13_001, JsonTokens), deployment.ApprovedFile, deployment.ConfigFile);

        run.Report(0, 4);
        run.Count(4).Should().BeGreaterThan(Cases / 2, "most mutations break the list");
    }

    [Fact]
    public async Task Evidence_mutations_do_not_verify_or_are_bad_input()
    {
        using var deployment = new HostileDeployment();
        var (jsonLines, tcbInfo, rtmr3) = Evidence(deployment);
        var run = new FuzzRun("verify-evidence fuzzer", output);
        var mutator = new Mutator(13_002, JsonTokens);
        var log = deployment.Combine("evidence.json");

        foreach (var seed in new[] { jsonLines, tcbInfo })
        {
            await File.WriteAllBytesAsync(log, seed);
            (await run.RunAsync(seed, "verify", "--event-log", log, "--rtmr3", rtmr3)).Should().Be(0, "the unmutated evidence verifies: {0}", run.LastOutput);
        }
        for (var i = 2; i < Cases; i++)
        {
            var input = mutator.Mutate(i % 2 == 0 ? jsonLines : tcbInfo);
            await File.WriteAllBytesAsync(log, input);
            await run.RunAsync(input, i % 3 == 0 ? ["verify", "--event-log", log, "--json"] : ["verify", "--event-log", log, "--rtmr3", rtmr3]);
        }
        deployment.ShouldBeUntouched();

        run.Report(0, 1, 3);
        (run.Count(1) + run.Count(3)).Should().BeGreaterThan(Cases / 2);
    }

    [Fact]
    public async Task Config_mutations_are_refused_with_their_code_or_accepted()
    {
        using var deployment = new HostileDeployment();
        var run = new FuzzRun("config fuzzer", output);
        var config = deployment.Combine("mutated.toml");
        File.Copy(deployment.ConfigFile, config);

        await MutateFileAsync(run, deployment, new Mutator(13_003, TomlTokens), config, config);

        run.Report(0, 3, 4);
        run.Count(3).Should().BeGreaterThan(Cases / 2);
    }

    [Fact]
    public async Task Compose_template_mutations_are_refused_with_exit_3_or_accepted()
    {
        using var deployment = new HostileDeployment();
        var run = new FuzzRun("compose-template fuzzer", output);

        await MutateFileAsync(run, deployment, new Mutator(13_004, YamlTokens), deployment.ComposeFile, deployment.ConfigFile);

        run.Report(0, 3);
        run.Count(3).Should().BePositive();
    }

    [Fact]
    public async Task Env_value_mutations_are_refused_with_exit_3_or_rendered()
    {
        using var deployment = new HostileDeployment();
        var run = new FuzzRun("env-value fuzzer", output);
        var mutator = new Mutator(13_005, [.. YamlTokens, .. TomlTokens]);

        for (var i = 0; i < Cases; i++)
        {
            var name = i % 5 == 4 ? mutator.HostileText("NODE_NAME") : "NODE_NAME";
            var value = i == 0 ? "node-1" : mutator.HostileText("node-1");
            var env = $"{{ {TomlString(name)} = {TomlString(value)}, PORT = {TomlString(i % 7 == 6 ? mutator.HostileText("8080") : "8080")} }}";
            var input = Encoding.UTF8.GetBytes(deployment.Config(env));
            await File.WriteAllBytesAsync(deployment.ConfigFile, input);
            var code = await run.RunAsync(input, i % 2 == 0 ? "plan" : "validate", "--config", deployment.ConfigFile);
            if (i == 0)
                code.Should().Be(0, "the unmutated env is valid: {0}", run.LastOutput);
            deployment.ShouldBeUntouched();
        }

        run.Report(0, 3);
        run.Count(3).Should().BePositive();
    }

    /// <summary>
    /// The deployment is valid as written; then <see cref="Cases"/> mutations of <paramref name="file"/> each go through
    /// validate or plan, and none of them may create the state directory.
    /// </summary>
    private static async Task MutateFileAsync(FuzzRun run, HostileDeployment deployment, Mutator mutator, string file, string config)
    {
        var seed = await File.ReadAllBytesAsync(file);
        (await run.RunAsync(seed, "validate", "--config", config)).Should().Be(0, "the unmutated input is valid: {0}", run.LastOutput);
        for (var i = 1; i < Cases; i++)
        {
            var input = mutator.Mutate(seed);
            await File.WriteAllBytesAsync(file, input);
            await run.RunAsync(input, i % 2 == 0 ? "validate" : "plan", "--config", config);
            deployment.ShouldBeUntouched();
        }
    }

    /// <summary>A TOML basic string holding exactly <paramref name="value"/>: the fuzzed bytes reach the schema, not the TOML parser.</summary>
    private static string TomlString(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) || char.IsSurrogate(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        return text.Append('"').ToString();
    }

    /// <summary>The same two events as the launcher's JSON-lines log and as a tcb_info document, and the RTMR3 they replay to.</summary>
    private static (byte[] JsonLines, byte[] TcbInfo, string Rtmr3) Evidence(HostileDeployment deployment)
    {
        var log = new EventLog(deployment.Combine("events.jsonl"));
        RuntimeEvent[] events = [RuntimeEvent.ForImage("image-digest", Digests.A), RuntimeEvent.ForCompose("services: {}\n"u8)];
        var entries = events.Select(e => EventLogEntry.For(e, registerIndex: 3)).ToList();
        foreach (var entry in entries)
            log.Append(entry);
        var rtmr3 = Convert.ToHexStringLower(events.Aggregate(new byte[48], (register, e) => SHA384.HashData([.. register, .. e.Digest()])));
        var tcbInfo = $$"""{"rtmr3": "{{rtmr3}}", "event_log": [{{string.Join(", ", entries.Select(e =>
            $$"""{"imr": 3, "event_type": {{e.EventType}}, "digest": "{{e.Digest}}", "event": "{{e.Event}}", "event_payload": "{{e.EventPayload}}"}"""))}}]}""";
        return (File.ReadAllBytes(log.Path), Encoding.UTF8.GetBytes(tcbInfo), rtmr3);
    }
}
