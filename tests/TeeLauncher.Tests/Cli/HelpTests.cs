using TeeLauncher.Cli;

using TeeLauncher.Tests.Support;

namespace TeeLauncher.Tests.Cli;

public sealed class HelpTests
{
    public static TheoryData<string> Commands() => [.. CommandCatalog.All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_help_with_its_purpose_options_and_an_example(string name)
    {
        var command = CommandCatalog.All.Single(c => c.Name == name);

        var (code, help, _) = await CommandLine.RunAsync(name, "--help");

        code.Should().Be(0);
        help.Should().StartWith($"tee-launcher {name}: {command.Purpose}");
        help.Should().Contain($"example:\n  {command.Example}");
        command.Example.Should().Contain($"tee-launcher {name}");
        foreach (var option in command.Options)
            help.Should().Contain($"--{option.Name}");
    }

    [Fact]
    public async Task The_overview_lists_every_command_and_the_exit_codes()
    {

        var (_, output, _) = await CommandLine.RunAsync("--help");

        foreach (var command in CommandCatalog.All)
            output.Should().Contain($"  {command.Name}");
        output.Should().Contain("9 other digest measured");
    }
}
