using System.Diagnostics;
using System.Text.Json.Nodes;

namespace TeeLauncher.TomlModel.Tests;

/// <summary>The toml-test decoder as toml-test runs it: TOML on stdin, tagged JSON on stdout, exit 1 for invalid input.</summary>
public sealed class DecoderTests
{
    [Fact]
    public async Task A_valid_document_prints_tagged_json_and_exits_0()
    {
        var (code, output, _) = await DecodeAsync("a = 1\n[t]\nb = [\"x\", 1979-05-27]\n");

        code.Should().Be(0);
        JsonNode.DeepEquals(JsonNode.Parse(output), JsonNode.Parse("""
            {"a": {"type": "integer", "value": "1"},
             "t": {"b": [{"type": "string", "value": "x"}, {"type": "date-local", "value": "1979-05-27"}]}}
            """)).Should().BeTrue(output);
    }

    [Fact]
    public async Task An_invalid_document_exits_1_with_the_position_on_stderr()
    {
        var (code, output, error) = await DecodeAsync("a = 1\na = 2\n");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Trim().Should().Be("<stdin>:2:1: the key 'a' is already defined at 1:1 and cannot be redefined");
    }

    private static async Task<(int Code, string Output, string Error)> DecodeAsync(string toml)
    {
        var decoder = Path.Combine(AppContext.BaseDirectory, "TomlTestDecoder.dll");
        var start = new ProcessStartInfo("dotnet", [decoder])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(toml);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
