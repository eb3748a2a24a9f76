namespace TeeLauncher.Toml;

/// <summary>
/// The items of a table or array in source order. While the parser fills a container it lends it a reusable
/// scratch buffer; <see cref="Seal"/> then moves the items to an array of exactly their count, so a parsed
/// document carries no growth slack. A container filled without a scratch buffer grows by doubling.
/// </summary>
internal struct ItemList<T>
{
    private T[]? _items;
    private int _count;

    public readonly int Count => _count;

    public readonly T this[int index] =>
        (uint)index < (uint)_count ? _items![index] : throw new ArgumentOutOfRangeException(nameof(index));

    public readonly ReadOnlySpan<T> AsSpan() => _items.AsSpan(0, _count);

    public void Add(T item)
    {
        if (_items is null || _count == _items.Length)
            Array.Resize(ref _items, Math.Max(4, _count * 2));
        _items[_count++] = item;
    }

    public void Borrow(T[] scratch) => _items = scratch;

    /// <summary>Keeps an exact copy of the items and gives back the scratch buffer, which may have grown.</summary>
    public T[] Seal()
    {
        var scratch = _items!;
        _items = scratch[.._count];
        return scratch;
    }
}

/// <summary>Scratch buffers for <see cref="ItemList{T}"/>, owned by one parse.</summary>
internal sealed class ScratchPool<T>
{
    private readonly Stack<T[]> _free = new();

    public T[] Rent() => _free.TryPop(out var buffer) ? buffer : new T[16];

    public void Return(T[] buffer) => _free.Push(buffer);
}
