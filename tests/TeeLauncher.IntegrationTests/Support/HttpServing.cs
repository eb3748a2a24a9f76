using System.Net;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>The request loop of the tests' small HTTP servers: answers each request until the listener is closed.</summary>
public static class HttpServing
{
    public static async Task ServeAsync(HttpListener listener, Func<HttpListenerContext, Task> answer)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            await answer(context);
        }
    }
}
