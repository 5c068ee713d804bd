using System.Collections.Concurrent;

namespace NitroLive.Web.Components.Services;

/// <summary>
/// Which sessions are shown on a public kiosk, so that pages joining them (phones that scanned the QR code) apply
/// the kiosk's prompt blocklist before sending (early feedback: the live service enforces it in the kiosk's session).
/// Holds one entry per open kiosk page.
/// </summary>
internal sealed class KioskRegistry
{
    private readonly ConcurrentDictionary<string, int> _kiosks = new(StringComparer.Ordinal);

    public bool IsKioskSession(string sessionId) => _kiosks.ContainsKey(sessionId);

    /// <summary>Marks the session as shown on a kiosk until the returned handle is disposed.</summary>
    public IDisposable Register(string sessionId)
    {
        _kiosks.AddOrUpdate(sessionId, 1, (_, count) => count + 1);
        return new Registration(this, sessionId);
    }

    private void Unregister(string sessionId)
    {
        while (_kiosks.TryGetValue(sessionId, out var count))
        {
            if (count <= 1
                ? _kiosks.TryRemove(new KeyValuePair<string, int>(sessionId, count))
                : _kiosks.TryUpdate(sessionId, count - 1, count))
            {
                return;
            }
        }
    }

    private sealed class Registration(KioskRegistry registry, string sessionId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                registry.Unregister(sessionId);
            }
        }
    }
}
