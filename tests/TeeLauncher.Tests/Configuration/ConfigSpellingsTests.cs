using TeeLauncher.Configuration;

namespace TeeLauncher.Tests.Configuration;

public sealed class ConfigSpellingsTests
{
    [Fact]
    public void Every_enum_value_has_exactly_one_spelling_and_reads_back_from_it()
    {
        RoundTrips(ConfigSpellings.Platforms);
        RoundTrips(ConfigSpellings.PullPolicies);
        RoundTrips(ConfigSpellings.UnapprovedPolicies);
        RoundTrips(ConfigSpellings.Backends);
        RoundTrips(ConfigSpellings.ComposeCommands);
    }

    private static void RoundTrips<T>(IReadOnlyDictionary<string, T> spellings) where T : struct, Enum
    {
        spellings.Values.Should().BeEquivalentTo(Enum.GetValues<T>(), "each {0} is spelled once", typeof(T).Name);
        foreach (var value in Enum.GetValues<T>())
            spellings[ConfigSpellings.Of(spellings, value)].Should().Be(value);
    }
}
