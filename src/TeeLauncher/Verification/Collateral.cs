using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.Verification;

/// <summary>
/// Quote collateral in the JSON form of Phala-Network/dcap-qvl's <c>QuoteCollateralV3</c> (what its
/// <c>get_collateral</c> writes from a PCCS or Intel PCS): the signed <c>tcb_info</c> and <c>qe_identity</c> documents
/// as JSON strings with their hex signatures and PEM issuer chains, and the root CA and PCK CRLs in hex DER.
/// Fields it does not know are ignored, as dcap-qvl's serde does; a known field of another type is refused.
/// </summary>
public sealed record Collateral(
    string TcbInfo,
    byte[] TcbInfoSignature,
    string TcbInfoIssuerChain,
    string QeIdentity,
    byte[] QeIdentitySignature,
    string QeIdentityIssuerChain,
    byte[] RootCaCrl,
    byte[] PckCrl,
    string PckCrlIssuerChain)
{
    /// <summary>Real collateral is about 20 KB; a PCK CRL of a large platform CA stays well below this.</summary>
    private const int MaxBytes = 4 << 20;

    private static readonly string[] Fields =
        ["tcb_info", "tcb_info_signature", "tcb_info_issuer_chain", "qe_identity", "qe_identity_signature",
         "qe_identity_issuer_chain", "root_ca_crl", "pck_crl", "pck_crl_issuer_chain"];

    public static Collateral Read(string path) => Parse(path, InputFile.ReadInput(path, "collateral", MaxBytes));

    public static Collateral Parse(string path, byte[] bytes)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
                throw Problem(path, "the collateral must be a JSON object (dcap-qvl's QuoteCollateralV3)");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (!Fields.Contains(name))
                {
                    reader.Skip();
                    continue;
                }
                if (reader.TokenType != JsonTokenType.String)
                    throw Problem(path, $"\"{name}\" must be a string");
                if (!values.TryAdd(name, reader.GetString()!))
                    throw Problem(path, $"the collateral has the field \"{name}\" twice");
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                throw Problem(path, "the collateral must be one JSON object");
        }
        catch (JsonException e)
        {
            throw new ConfigException(new InputProblem(path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, "collateral: not valid JSON"));
        }
        catch (InvalidOperationException)
        {
            throw new ConfigException(InputProblem.InFile(path, "collateral: a string holds an escape that is no Unicode text"));
        }
        if (Fields.FirstOrDefault(f => !values.ContainsKey(f)) is { } missing)
            throw new ConfigException(InputProblem.InFile(path, $"collateral: the field \"{missing}\" is missing (dcap-qvl's get_collateral writes it)"));
        return new Collateral(
            values["tcb_info"],
            HexField(path, values, "tcb_info_signature"),
            values["tcb_info_issuer_chain"],
            values["qe_identity"],
            HexField(path, values, "qe_identity_signature"),
            values["qe_identity_issuer_chain"],
            HexField(path, values, "root_ca_crl"),
            HexField(path, values, "pck_crl"),
            values["pck_crl_issuer_chain"]);
    }

    private static byte[] HexField(string path, Dictionary<string, string> values, string name) =>
        Values.Hex.TryDecode(Values.Hex.WithoutPrefix(values[name]), out var bytes)
            ? bytes
            : throw new ConfigException(InputProblem.InFile(path, $"collateral: \"{name}\" is not hex"));

    private static ConfigException Problem(string path, string message) =>
        new(InputProblem.InFile(path, $"collateral: {message}"));
}
