using System.Text.Json;
using TeeLauncher.Errors;
using TeeLauncher.Files;

namespace TeeLauncher.Verification;

/// <summary>
/// A quote as the tools hand it over, recognised by content: dstack's GetQuote response (a JSON object whose
/// <c>quote</c> field is hex, and whose <c>event_log</c> the event-log replay reads), the quote in hex (an optional
/// <c>0x</c>, surrounding white space allowed), or the raw quote.
/// </summary>
public sealed record QuoteInput(byte[] Quote, string Format, bool HasEventLog)
{
    public const string GetQuoteResponse = "GetQuote response";
    public const string HexText = "hex";
    public const string Raw = "raw";

    /// <summary>A GetQuote response carries the event log too, which can be large; the same bound as <c>--event-log</c>.</summary>
    private const int MaxFileBytes = 16 << 20;

    public static QuoteInput Read(string path)
    {
        var bytes = InputFile.ReadInput(path, "quote", MaxFileBytes);
        var text = bytes.AsSpan().Trim(" \t\r\n"u8);
        if (text.IsEmpty)
            throw new ConfigException(InputProblem.InFile(path, "the quote file is empty"));
        if (text[0] == (byte)'{')
            return FromGetQuote(path, bytes);
        if (text.StartsWith("0x"u8) || text.StartsWith("0X"u8))
            text = text[2..];
        if (text.IndexOfAnyExcept("0123456789abcdefABCDEF"u8) < 0)
        {
            if (text.Length % 2 != 0 || text.Length / 2 > TdxQuote.MaxBytes)
                throw new ConfigException(InputProblem.InFile(path, $"the quote in hex has {text.Length} digits: an even number up to {2 * TdxQuote.MaxBytes} is needed"));
            return new QuoteInput(Convert.FromHexString(System.Text.Encoding.ASCII.GetString(text)), HexText, false);
        }
        return new QuoteInput(bytes, Raw, false);
    }

    private static QuoteInput FromGetQuote(string path, byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 16 });
        string? quote = null;
        var hasEventLog = false;
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "quote")
                {
                    if (quote is not null)
                        throw Problem(path, "the GetQuote response has the field \"quote\" twice");
                    quote = reader.TokenType == JsonTokenType.String
                        ? reader.GetString()
                        : throw Problem(path, "the GetQuote response's \"quote\" must be a hex string");
                }
                else
                {
                    hasEventLog |= name == "event_log";
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw Problem(path, $"not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of that line");
        }
        catch (InvalidOperationException)
        {
            throw Problem(path, "the GetQuote response holds a string that is no Unicode text");
        }
        if (quote is null)
            throw Problem(path, "a JSON quote file must be dstack's GetQuote response, with a \"quote\" field");
        var hex = Values.Hex.WithoutPrefix(quote);
        if (hex.Length > 2 * TdxQuote.MaxBytes || !Values.Hex.TryDecode(hex, out var decoded))
            throw Problem(path, $"the GetQuote response's \"quote\" is not a quote in hex (an even number of hex digits, up to {2 * TdxQuote.MaxBytes})");
        return new QuoteInput(decoded, GetQuoteResponse, hasEventLog);
    }

    private static ConfigException Problem(string path, string message) => new(InputProblem.InFile(path, message));
}
