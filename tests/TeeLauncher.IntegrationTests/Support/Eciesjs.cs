namespace TeeLauncher.IntegrationTests.Support;

/// <summary>The reference ECIES implementation, the npm package eciesjs, run with node.</summary>
public static class Eciesjs
{
    public static async Task<string> EncryptAsync(string publicKeyHex, string plaintext) =>
        (await NodeAsync("process.stdout.write(require('eciesjs').encrypt(process.argv[1], Buffer.from(process.argv[2])).toString('hex'))",
            publicKeyHex, plaintext)).Succeeded("eciesjs encrypt").Out;

    public static async Task<string> DecryptAsync(string privateKeyHex, string ciphertextHex) =>
        (await NodeAsync("process.stdout.write(require('eciesjs').decrypt(process.argv[1], Buffer.from(process.argv[2], 'hex')).toString())",
            privateKeyHex, ciphertextHex)).Succeeded("eciesjs decrypt").Out;

    private static Task<ToolResult> NodeAsync(string script, params string[] arguments) =>
        ToolRun.RunAsync("node", ["-e", script, .. arguments],
            environment: new Dictionary<string, string?> { ["NODE_PATH"] = TestEnvironment.NodeModules });
}
