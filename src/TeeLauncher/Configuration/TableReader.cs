using TeeLauncher.Errors;
using TeeLauncher.TomlModel;
using TeeLauncher.Values;

namespace TeeLauncher.Configuration;

/// <summary>
/// Reads one TOML table. The keys a table has are the keys its reading code reads: whatever the table holds that no read
/// asked for is an unknown key, reported at its position where the table's problems begin, so a key cannot be accepted
/// without being read. Wrong types become problems at their position, and every key read is remembered so later checks
/// can point at it.
/// </summary>
internal sealed class TableReader
{
    private readonly TomlTable? _table;
    private readonly string _path;
    private readonly ConfigReadContext _context;
    private readonly List<string> _read = [];
    private readonly int _firstProblem;

    private TableReader(TomlTable? table, string path, ConfigReadContext context)
    {
        _table = table;
        _path = path;
        _context = context;
        _firstProblem = context.Problems.Count;
    }

    /// <summary>Reads <paramref name="table"/> (null when absent) with <paramref name="read"/>, then refuses every key it did not read.</summary>
    public static T Read<T>(TomlTable? table, string path, ConfigReadContext context, Func<TableReader, T> read)
    {
        var reader = new TableReader(table, path, context);
        var value = read(reader);
        reader.RefuseUnreadKeys();
        return value;
    }

    /// <summary>Reads the sub-table <paramref name="key"/>, present or not, as <see cref="Read"/> does.</summary>
    public T Section<T>(string key, Func<TableReader, T> read) => Read(Table(key), Key(key), _context, read);

    private void RefuseUnreadKeys()
    {
        if (_table is null)
            return;
        var where = _path.Length == 0 ? "at the top level" : $"in [{_path}]";
        var at = _firstProblem;
        foreach (var (key, _) in _table)
        {
            if (_read.Contains(key))
                continue;
            var hint = NearMatch.Find(key, _read) is { } meant ? $"; did you mean '{meant}'?" : "";
            _context.InsertAt(at++, _table.KeyPosition(key), $"unknown key '{key}' {where}{hint}");
        }
    }

    public string Key(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

    /// <summary>The value's position, or the table's when the key is missing.</summary>
    public TomlPosition PositionOf(string key) =>
        _table is null ? new TomlPosition(1, 1)
        : _table.ContainsKey(key) ? _table.ValuePosition(key)
        : _table.Position;

    public bool Has(string key) => _table?.ContainsKey(key) == true;

    public string? String(string key) => Read<string>(key, "a string");

    public string String(string key, string fallback) => String(key) ?? fallback;

    public bool Boolean(string key, bool fallback) => Read<bool?>(key, "true or false") ?? fallback;

    public long? Integer(string key) => Read<long?>(key, "an integer");

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/>; out of range is a problem at the value.</summary>
    public int Integer(string key, int fallback, int min, int max)
    {
        if (Integer(key) is not { } value)
            return fallback;
        if (value >= min && value <= max)
            return (int)value;
        Problem(key, $"{Key(key)} must be between {min} and {max}, found {value}");
        return fallback;
    }

    public TomlTable? Table(string key) => Read<TomlTable>(key, "a table");

    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        if (String(key) is not { } text)
            return fallback;
        if (!Durations.TryParse(text, out var duration) || duration <= TimeSpan.Zero)
            Problem(key, $"'{text}' is not a duration: write a positive amount with a unit, such as \"90s\", \"10m\" or \"1h\"");
        else if (duration > Durations.Max)
            Problem(key, $"{Key(key)} '{text}' is longer than 24 days, the longest a timer takes");
        else
            return duration;
        return fallback;
    }

    /// <summary>A path as written; an empty one, or one with a NUL, names no file, so it is a problem and reads as absent.</summary>
    public string? Path(string key)
    {
        if (String(key) is not { } text)
            return null;
        if (text.Length == 0)
            Problem(key, $"{Key(key)} must not be empty: write a path");
        else if (text.Contains('\0'))
            Problem(key, $"{Key(key)} must not contain a NUL character");
        else
            return text;
        return null;
    }

    /// <summary>Reads one of <paramref name="choices"/>, named in config spelling.</summary>
    public T Choice<T>(string key, T fallback, IReadOnlyDictionary<string, T> choices)
    {
        if (String(key) is not { } text)
            return fallback;
        if (choices.TryGetValue(text, out var choice))
            return choice;
        Problem(key, $"'{text}' is not allowed for {Key(key)}: use {string.Join(", ", choices.Keys.Select(k => $"\"{k}\""))}");
        return fallback;
    }

    public TomlArray? Array(string key, string expected) => Read<TomlArray>(key, expected);

    /// <summary>An array of tables, written <c>[[key]]</c>.</summary>
    public TomlTableArray? Tables(string key)
    {
        Asked(key);
        if (_table is null || !_table.TryGetValue(key, out var value))
            return null;
        if (value is TomlTableArray tables)
            return tables;
        Problem(key, $"{Key(key)} must be an array of tables: write each as [[{Key(key)}]]");
        return null;
    }

    public IReadOnlyList<string> StringArray(string key)
    {
        if (Read<TomlArray>(key, "an array of strings") is not { } array)
            return [];
        var items = new List<string>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is string item)
                items.Add(item);
            else
                _context.AddAt(array.ItemPosition(i), $"{Key(key)}[{i}] must be a string, found {TomlTypes.Describe(array[i])}");
        }
        return items;
    }

    public void Problem(string key, string message) => _context.AddAt(PositionOf(key), message);

    public void ProblemAt(TomlPosition at, string message) => _context.AddAt(at, message);

    private void Asked(string key)
    {
        if (!_read.Contains(key))
            _read.Add(key);
        _context.Asked(Key(key));
    }

    private T? Read<T>(string key, string expected)
    {
        Asked(key);
        if (_table is null || !_table.TryGetValue(key, out var value))
            return default;
        _context.Remember(Key(key), _table.ValuePosition(key));
        if (value is T typed)
            return typed;
        Problem(key, $"{Key(key)} must be {expected}, found {TomlTypes.Describe(value)}");
        return default;
    }
}

/// <summary>Problems and key positions gathered while reading one config file.</summary>
internal sealed class ConfigReadContext(string file)
{
    private readonly List<InputProblem> _problems = [];
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    public string File { get; } = file;

    public IReadOnlyList<InputProblem> Problems => _problems;

    public void AddAt(TomlPosition at, string message) => _problems.Add(new InputProblem(File, at.Line, at.Column, message));

    public void InsertAt(int index, TomlPosition at, string message) => _problems.Insert(index, new InputProblem(File, at.Line, at.Column, message));

    public void Remember(string dottedKey, TomlPosition at) => _positions[dottedKey] = (at.Line, at.Column);

    /// <summary>Every key some table's reader asked for, as <c>table.key</c> ("registry[0].host"), whether or not it was written.</summary>
    public IReadOnlyCollection<string> KeysAsked => _asked;

    public void Asked(string dottedKey) => _asked.Add(dottedKey);

    public ConfigLocations Locations() => new(File, _positions);
}
