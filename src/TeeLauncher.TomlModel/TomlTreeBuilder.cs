using Tomlyn.Syntax;

namespace TeeLauncher.TomlModel;

/// <summary>
/// Builds the tree of a parsed document and judges TOML's rule that a key or table is defined once, as the TOML 1.1
/// specification says and Python's tomllib implements it (tomllib is the oracle of the tests): a header defines its
/// table once, and not one that dotted keys of an earlier section or a value defined; tables a header only implies may
/// be defined later; <c>[[name]]</c> appends to an array of tables only; dotted keys create and extend tables within
/// their own section, never a table a header defined; an inline table or an array is complete, nothing is added to it.
/// Tomlyn's own validator is not used: it shares one array between the paths it stores, so a valid document whose key
/// hashes collide is refused at random, and it lets <c>[[a.b]]</c> turn a table of an earlier element into an array.
/// </summary>
internal sealed class TomlTreeBuilder
{
    private readonly TomlTable _root = new(new TomlPosition(1, 1));
    private readonly HashSet<TomlTable> _defined = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<TomlTable> _complete = new(ReferenceEqualityComparer.Instance);
    private readonly List<TomlTable> _dottedThisSection = [];
    private readonly List<TomlError> _errors = [];

    /// <summary>The document's tree, or every independent error: the first of each header section.</summary>
    public static (TomlTable Root, List<TomlError> Errors) Build(DocumentSyntax document)
    {
        var builder = new TomlTreeBuilder();
        builder.Section(builder._root, [], document.KeyValues);
        foreach (var header in document.Tables)
        {
            builder.CloseSection();
            if (builder.Header(header) is var (table, path))
                builder.Section(table, path, header.Items);
        }
        return (builder._root, builder._errors);
    }

    private void Section(TomlTable table, List<string> path, IEnumerable<KeyValueSyntax> keyValues)
    {
        foreach (var keyValue in keyValues)
        {
            if (!Add(table, path, keyValue, _dottedThisSection))
                return;
        }
    }

    /// <summary>Tables that dotted keys made or extended in a section cannot be extended or defined by a later one.</summary>
    private void CloseSection()
    {
        _defined.UnionWith(_dottedThisSection);
        _dottedThisSection.Clear();
    }

    private (TomlTable, List<string>)? Header(TableSyntaxBase header)
    {
        var at = TomlDocument.At(header.OpenBracket!.Span.Start);
        var segments = Segments(header.Name!);
        var path = new List<string>();
        var parent = _root;
        foreach (var (name, nameAt) in segments[..^1])
        {
            path.Add(name);
            if (Descend(parent, name, nameAt, path, at) is not { } next)
                return null;
            parent = next;
        }
        var (last, lastAt) = segments[^1];
        path.Add(last);
        parent.TryGetValue(last, out var existing);
        if (header is TableArraySyntax)
        {
            if (existing is null)
            {
                existing = new TomlTableArray(at);
                parent.Add(last, existing, lastAt, at);
            }
            if (existing is not TomlTableArray array)
            {
                Redefined(at, path, parent, last);
                return null;
            }
            var element = new TomlTable(at);
            array.Add(element);
            _defined.Add(element);
            return (element, path);
        }
        switch (existing)
        {
            case null:
                var table = new TomlTable(at);
                parent.Add(last, table, lastAt, at);
                _defined.Add(table);
                return (table, path);
            case TomlTable implied when !_defined.Contains(implied) && !_complete.Contains(implied):
                // Named before only as the parent of another header: this header defines it.
                implied.Position = at;
                _defined.Add(implied);
                return (implied, path);
            default:
                Redefined(at, path, parent, last);
                return null;
        }
    }

    /// <summary>Adds one key/value to <paramref name="table"/>; false after an error.</summary>
    private bool Add(TomlTable table, List<string> path, KeyValueSyntax keyValue, List<TomlTable>? dotted)
    {
        var at = TomlDocument.At(keyValue.Span.Start);
        var segments = Segments(keyValue.Key!);
        var keyPath = new List<string>(path);
        var parent = table;
        foreach (var (name, nameAt) in segments[..^1])
        {
            keyPath.Add(name);
            if (Descend(parent, name, nameAt, keyPath, at) is not { } next)
                return false;
            if (_defined.Contains(next))
            {
                Redefined(at, keyPath, parent, name);
                return false;
            }
            dotted?.Add(next);
            parent = next;
        }
        var (last, lastAt) = segments[^1];
        keyPath.Add(last);
        if (parent.ContainsKey(last))
        {
            Redefined(at, keyPath, parent, last);
            return false;
        }
        if (Value(keyValue.Value!, keyPath) is not { } value)
            return false;
        parent.Add(last, value, lastAt, TomlDocument.At(keyValue.Value!.Span.Start));
        return true;
    }

    /// <summary>The table <paramref name="name"/> names in <paramref name="parent"/> (the last element of an array of tables), created when missing.</summary>
    private TomlTable? Descend(TomlTable parent, string name, TomlPosition nameAt, List<string> path, TomlPosition at)
    {
        if (!parent.TryGetValue(name, out var existing))
        {
            var created = new TomlTable(nameAt);
            parent.Add(name, created, nameAt, nameAt);
            return created;
        }
        var table = existing switch
        {
            TomlTable t => t,
            TomlTableArray array => array.Last,
            _ => null,
        };
        if (table is null || _complete.Contains(table))
        {
            Redefined(at, path, parent, name);
            return null;
        }
        return table;
    }

    private object? Value(ValueSyntax value, List<string> path)
    {
        switch (value)
        {
            case StringValueSyntax s:
                return s.Value!;
            case IntegerValueSyntax i:
                return i.Value;
            case FloatValueSyntax f:
                return f.Value;
            case BooleanValueSyntax b:
                return b.Value;
            case DateTimeValueSyntax d:
                return d.Value;
            case ArraySyntax a:
                var array = new TomlArray(TomlDocument.At(a.Span.Start));
                foreach (var item in a.Items)
                {
                    if (Value(item.Value!, path) is not { } element)
                        return null;
                    array.Add(element, TomlDocument.At(item.Value!.Span.Start));
                }
                return array;
            case InlineTableSyntax t:
                var table = new TomlTable(TomlDocument.At(t.Span.Start));
                foreach (var item in t.Items)
                {
                    if (!Add(table, path, item.KeyValue!, dotted: null))
                        return null;
                }
                _complete.Add(table);
                return table;
            default:
                throw new InvalidOperationException($"unexpected value syntax {value.Kind}");
        }
    }

    private void Redefined(TomlPosition at, List<string> path, TomlTable parent, string name)
    {
        var existing = parent[name] switch
        {
            TomlTable table => table.Position,
            TomlTableArray array => array.Position,
            _ => parent.KeyPosition(name),
        };
        _errors.Add(new TomlError(at, $"the key '{string.Join('.', path)}' is already defined at {existing} and cannot be redefined"));
    }

    private static (string Name, TomlPosition At)[] Segments(KeySyntax key) =>
        [Segment(key.Key!), .. key.DotKeys.Select(dotted => Segment(dotted.Key!))];

    private static (string Name, TomlPosition At) Segment(BareKeyOrStringValueSyntax segment) => segment switch
    {
        BareKeySyntax bare => (bare.Key!.Text!, TomlDocument.At(bare.Span.Start)),
        StringValueSyntax quoted => (quoted.Value!, TomlDocument.At(quoted.Span.Start)),
        _ => throw new InvalidOperationException($"unexpected key syntax {segment.Kind}"),
    };
}
