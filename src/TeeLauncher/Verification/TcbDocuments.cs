using System.Globalization;
using System.Text.Json;
using TeeLauncher.Values;

namespace TeeLauncher.Verification;

public sealed record TcbLevel(byte[] SgxComponents, ushort PceSvn, byte[] TdxComponents, TcbStatus Status, IReadOnlyList<string> AdvisoryIds);

/// <summary>A TCB level of a TDX module identity or of the QE identity: one ISVSVN.</summary>
public sealed record IsvSvnLevel(ushort IsvSvn, TcbStatus Status, IReadOnlyList<string> AdvisoryIds);

public sealed record TdxModuleIdentity(string Id, byte[] MrSigner, byte[] Attributes, byte[] AttributesMask, IReadOnlyList<IsvSvnLevel> Levels);

/// <summary>What Intel's signed collateral documents (TCB Info, enclave identity) start with: which document, and when it is valid.</summary>
public sealed record DocumentHeader(string Id, int Version, DateTimeOffset IssueDate, DateTimeOffset NextUpdate)
{
    internal static DocumentHeader Read(TcbDocument root) =>
        new(root.String("id"), root.Int("version"), root.Date("issueDate"), root.Date("nextUpdate"));
}

/// <summary>Intel PCS TDX TCB Info, version 3 (Intel's PCS API, "Get TDX TCB Info"); the fields dcap-qvl and Intel's QVL read.</summary>
public sealed record TcbInfo(
    DocumentHeader Header,
    byte[] Fmspc,
    byte[] PceId,
    TdxModuleIdentity? TdxModule,
    IReadOnlyList<TdxModuleIdentity> TdxModuleIdentities,
    IReadOnlyList<TcbLevel> Levels)
{
    public static TcbInfo Parse(string json) => TcbDocument.Read("tcb_info", json, root => new TcbInfo(
        DocumentHeader.Read(root),
        root.Hex("fmspc", 6),
        root.Hex("pceId", 2),
        root.Optional("tdxModule") is { } module ? Module(module, withLevels: false) : null,
        root.Optional("tdxModuleIdentities") is { } identities ? identities.Items(i => Module(i, withLevels: true)) : [],
        root.Field("tcbLevels").Items(level =>
        {
            var tcb = level.Field("tcb");
            return new TcbLevel(
                Svns(tcb.Field("sgxtcbcomponents")),
                (ushort)tcb.Int("pcesvn", ushort.MaxValue),
                tcb.Optional("tdxtcbcomponents") is { } tdx ? Svns(tdx) : [],
                level.Status(),
                level.Advisories());
        })));

    private static byte[] Svns(TcbDocument components) =>
        [.. components.Items(c => (byte)c.Int("svn", byte.MaxValue))];

    private static TdxModuleIdentity Module(TcbDocument module, bool withLevels) => new(
        withLevels ? module.String("id") : "",
        module.Hex("mrsigner", 48),
        module.Hex("attributes", 8),
        module.Hex("attributesMask", 8),
        withLevels ? module.Field("tcbLevels").Items(IsvSvn) : []);

    internal static IsvSvnLevel IsvSvn(TcbDocument level) =>
        new((ushort)level.Field("tcb").Int("isvsvn", ushort.MaxValue), level.Status(), level.Advisories());
}

/// <summary>Intel PCS enclave identity of the TDX quoting enclave (<c>id</c> "TD_QE", version 2).</summary>
public sealed record QeIdentity(
    DocumentHeader Header,
    byte[] MiscSelect,
    byte[] MiscSelectMask,
    byte[] Attributes,
    byte[] AttributesMask,
    byte[] MrSigner,
    ushort IsvProdId,
    IReadOnlyList<IsvSvnLevel> Levels)
{
    public static QeIdentity Parse(string json) => TcbDocument.Read("qe_identity", json, root => new QeIdentity(
        DocumentHeader.Read(root),
        root.Hex("miscselect", 4),
        root.Hex("miscselectMask", 4),
        root.Hex("attributes", 16),
        root.Hex("attributesMask", 16),
        root.Hex("mrsigner", 32),
        (ushort)root.Int("isvprodid", ushort.MaxValue),
        root.Field("tcbLevels").Items(TcbInfo.IsvSvn)));
}

/// <summary>A JSON element of a signed collateral document, whose every problem names the field's path.</summary>
public readonly struct TcbDocument
{
    private readonly JsonElement _element;
    private readonly string _path;

    private TcbDocument(JsonElement element, string path) => (_element, _path) = (element, path);

    public static T Read<T>(string name, string json, Func<TcbDocument, T> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            return read(new TcbDocument(document.RootElement, name).Expect(JsonValueKind.Object));
        }
        catch (JsonException)
        {
            throw new QuoteVerificationException($"collateral {name}: not valid JSON");
        }
        catch (InvalidOperationException)
        {
            throw new QuoteVerificationException($"collateral {name}: a string holds an escape that is no Unicode text");
        }
    }

    public TcbDocument Field(string name) =>
        Optional(name) ?? throw Problem($"has no \"{name}\"");

    public TcbDocument? Optional(string name) =>
        _element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? new TcbDocument(value, $"{_path}.{name}")
            : null;

    public string String(string name) => Field(name).Expect(JsonValueKind.String)._element.GetString()!;

    public int Int(string name, int max = int.MaxValue)
    {
        var field = Field(name).Expect(JsonValueKind.Number);
        return field._element.TryGetInt32(out var value) && value >= 0 && value <= max
            ? value
            : throw field.Problem($"must be a whole number from 0 to {max}");
    }

    public byte[] Hex(string name, int length)
    {
        var field = Field(name);
        return Values.Hex.TryDecode(String(name), out var bytes) && bytes.Length == length
            ? bytes
            : throw field.Problem($"must be {length} bytes in hex");
    }

    public DateTimeOffset Date(string name)
    {
        var field = Field(name);
        return DateTimeOffset.TryParse(String(name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date.ToUniversalTime()
            : throw field.Problem("must be an RFC 3339 date");
    }

    public TcbStatus Status() =>
        TcbStatusNames.Parse(String("tcbStatus")) ?? throw Field("tcbStatus").Problem("is no TCB status Intel defines");

    public IReadOnlyList<string> Advisories() =>
        Optional("advisoryIDs") is { } ids ? ids.Items(id => id.Expect(JsonValueKind.String)._element.GetString()!) : [];

    public IReadOnlyList<T> Items<T>(Func<TcbDocument, T> read)
    {
        var array = Expect(JsonValueKind.Array);
        var items = new List<T>();
        var index = 0;
        foreach (var item in array._element.EnumerateArray())
            items.Add(read(new TcbDocument(item, $"{_path}[{index++}]")));
        return items;
    }

    private TcbDocument Expect(JsonValueKind kind) =>
        _element.ValueKind == kind ? this : throw Problem($"must be a JSON {kind.ToString().ToLowerInvariant()}");

    private QuoteVerificationException Problem(string message) => new($"collateral {_path} {message}");
}
