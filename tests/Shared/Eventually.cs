namespace TeeLauncher.Testing;

/// <summary>The one wait of the tests: polls a condition until it holds, or fails with what the caller says was awaited.</summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(20);

    public static Task HoldsAsync(Func<bool> condition, TimeSpan timeout, Func<string>? awaited = null, TimeSpan? poll = null) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, awaited, poll);

    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? awaited = null, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"not within {timeout}: {awaited?.Invoke() ?? "the condition awaited"}");
            await Task.Delay(poll ?? DefaultPoll);
        }
    }
}
