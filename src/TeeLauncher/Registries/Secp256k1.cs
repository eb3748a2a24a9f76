using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace TeeLauncher.Registries;

/// <summary>The secp256k1 curve, and its points in the 65-byte uncompressed SEC1 encoding.</summary>
internal static class Secp256k1
{
    public const int PublicKeyLength = 65;
    public const int CompressedPublicKeyLength = 33;
    public const int PrivateKeyLength = 32;

    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");

    public static bool IsValidScalar(BigInteger d) => d.SignValue > 0 && d.CompareTo(Curve.N) < 0;

    public static ECPoint PublicPoint(BigInteger d) => Curve.G.Multiply(d).Normalize();

    /// <summary>Decodes a SEC1 point (65 bytes uncompressed or 33 compressed); throws <see cref="ArgumentException"/> when it is malformed or not on the curve.</summary>
    public static ECPoint Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length is not (PublicKeyLength or CompressedPublicKeyLength))
            throw new ArgumentException($"a secp256k1 public key has {PublicKeyLength} or {CompressedPublicKeyLength} bytes, found {encoded.Length}");
        ECPoint point;
        try
        {
            point = Curve.Curve.DecodePoint(encoded.ToArray());
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, e);
        }
        return point.IsInfinity || !point.IsValid()
            ? throw new ArgumentException("not a point of secp256k1")
            : point.Normalize();
    }

    public static bool IsPublicKey(ReadOnlySpan<byte> encoded)
    {
        try
        {
            Decode(encoded);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static byte[] Encode(ECPoint point) => point.GetEncoded(compressed: false);

    /// <summary>The ECDH shared point <c>d·P</c>, uncompressed.</summary>
    public static byte[] SharedPoint(BigInteger d, ECPoint publicPoint) => Encode(publicPoint.Multiply(d).Normalize());
}
