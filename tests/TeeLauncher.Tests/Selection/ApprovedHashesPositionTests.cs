using TeeLauncher.Errors;
using TeeLauncher.Selection;

namespace TeeLauncher.Tests.Selection;

/// <summary>The approved list's positions follow the one convention: 1-based line, column in characters (docs/spec.md §2).</summary>
public sealed class ApprovedHashesPositionTests
{
    [Fact]
    public void A_bad_entry_after_non_ascii_text_is_placed_in_characters()
    {
        var parse = () => ApprovedHashes.Parse("a.json", "{\"note\":\"é😀\",\"approved_hashes\":[5]}"u8);

        parse.Should().Throw<DigestRefusedException>().WithMessage("a.json:1:33: approved hashes file entry 1: must be a string*");
    }

    [Fact]
    public void A_syntax_error_after_non_ascii_text_is_placed_in_characters()
    {
        var parse = () => ApprovedHashes.Parse("a.json", "{\"note\":\"😀\", \"approved_hashes\": [}"u8);

        parse.Should().Throw<DigestRefusedException>().WithMessage("a.json:1:34: approved hashes file is not valid JSON*");
    }

    [Fact]
    public void Invalid_utf8_after_non_ascii_text_is_placed_in_characters()
    {
        var parse = () => ApprovedHashes.Parse("a.json", (byte[])[.. "{\"é\":"u8, 0xff, .. "}"u8]);

        parse.Should().Throw<DigestRefusedException>().WithMessage("a.json:1:6: approved hashes file is not valid UTF-8*");
    }
}
