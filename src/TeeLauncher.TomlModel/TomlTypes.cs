using Tomlyn;

namespace TeeLauncher.TomlModel;

/// <summary>Names of the value types of a <see cref="TomlTable"/>, as messages say them.</summary>
public static class TomlTypes
{
    public static string Describe(object value) => value switch
    {
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        TomlDateTime => "a date-time",
        TomlArray => "an array",
        TomlTableArray => "an array of tables",
        TomlTable => "a table",
        _ => value.GetType().Name,
    };
}
