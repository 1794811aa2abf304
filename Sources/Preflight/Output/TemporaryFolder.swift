import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private folder for a run's scratch files (ids spilled past the memory limit): created with
/// permissions 0700 under the chosen parent (`--temp-dir`, else `$TMPDIR`, else `/tmp`), its files
/// 0600 and nameless — each is unlinked as soon as it is open, so no exit path (an error, Ctrl-C,
/// a crash) leaves one behind, and the space comes back when the descriptor closes. The folder
/// itself is removed when this object goes, and by the Ctrl-C handler (`TemporaryFiles`).
final class TemporaryFolder {
    /// The folder's path: `PARENT/preflight-` and six random characters.
    let path: String
    /// The parent it was made in, for messages ("no space left in /tmp").
    let parent: String
    /// Bytes its open files hold now (written and not yet discarded): what a full disk is
    /// measured against.
    private let held = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)
    /// Test hook: writes fail with `ENOSPC` once the folder would hold more than this.
    nonisolated(unsafe) static var capacityForTests: Int?

    /// The parent to use: `chosen`, else `$TMPDIR`, else `/tmp`.
    static func parent(_ chosen: String?) -> String {
        if let chosen, !chosen.isEmpty { return chosen }
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }

    /// Makes a new private folder in `parent` (see `parent(_:)`).
    init(in chosen: String?) throws(PreflightError) {
        let parent = Self.parent(chosen)
        self.parent = parent
        let trimmed = parent.hasSuffix("/") && parent.count > 1 ? String(parent.dropLast()) : parent
        guard let made = UniqueName.folder(trimmed + "/preflight-") else {
            throw .cannotWrite("a temporary folder in \(parent)", errno: errno)
        }
        path = made
        _ = chmod(path, 0o700)  // mkdtemp makes it 0700 already; say so whatever the umask
        TemporaryFiles.add(path)
    }

    deinit {
        TemporaryFiles.remove(path)
        rmdir(path)
    }

    /// Bytes its files hold now.
    var heldBytes: Int { held.load(ordering: .relaxed) }

    /// Whether `count` more bytes may be written (false only under `capacityForTests`).
    func hasRoom(for count: Int) -> Bool {
        guard let capacity = Self.capacityForTests else { return true }
        return heldBytes + count <= capacity
    }

    /// A file wrote `count` bytes (negative: it was discarded and gave them back).
    func noteHeld(_ count: Int) {
        let now = held.add(count, ordering: .relaxed).newValue
        if count > 0 { peak.max(now, ordering: .relaxed) }
    }

    /// The most its files held at once.
    var peakHeldBytes: Int { peak.load(ordering: .relaxed) }

    /// `error` with the space the run needs, when it is this folder's full disk (`ENOSPC`,
    /// `EDQUOT`): what the scratch files held when it filled and, from `growth` when the input's
    /// size is known, what the whole run needs.
    func explainingFullDisk(_ error: PreflightError, growth: ScratchGrowth?) -> PreflightError {
        guard case .cannotWrite(let path, let reason, let code) = error, code == ENOSPC || code == EDQUOT,
              path == Self.fileDescription(in: parent) else { return error }
        let held = heldBytes
        var need = "; scratch files held \(TextReport.size(held)) when it filled"
        if let (share, whole) = growth?.need() {
            need += " after \(share)% of the input: the run needs about \(TextReport.size(whole)) free there"
        } else {
            need += ": the run needs more than that free there"
        }
        return .cannotWrite(path: path, reason: reason + need + " (or a higher --memory-limit)", errno: code)
    }

    /// How a scratch file's errors name it: "a temporary file in /tmp".
    static func fileDescription(in parent: String) -> String { "a temporary file in \(parent)" }

    /// A new nameless file in the folder, open for reading and writing (the caller closes it).
    func createFile() throws(PreflightError) -> Int32 {
        guard let (descriptor, name) = UniqueName.file(path + "/spill-") else {
            throw .cannotWrite(Self.fileDescription(in: parent), errno: errno)
        }
        _ = fchmod(descriptor, 0o600)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        unlink(name)
        return descriptor
    }
}

/// How a run's spilled ids grow with the input read, for a full disk's message: the bytes given
/// to the out-of-core check at points of the input (whether still in a file's buffer or written),
/// thinned to at most 64 points that lie densest near the present.
struct ScratchGrowth {
    private var points: [(read: Int, spilled: Int)] = []
    /// The input's size.
    let size: Int

    init(size: Int) { self.size = size }

    /// The run has read `read` bytes of the input and spilled `spilled` bytes of ids.
    mutating func note(read: Int, spilled: Int) {
        if points.count == 64 {
            // Keep every other point of the older half: the recent rate stays well sampled.
            points = points[..<32].enumerated().filter { $0.offset % 2 == 1 }.map(\.element) + points[32...]
        }
        points.append((read, spilled))
    }

    /// The share of the input read (percent) and the bytes the whole run needs: the ids spilled
    /// so far and those still to come at the rate of the latter half of the input read since the
    /// spill began (the tables fill shard by shard, so it rises at first), with a fifth more for
    /// the end's check, which splits partitions. Nil before there is a rate to go by.
    func need() -> (share: Int, bytes: Int)? {
        guard let first = points.first(where: { $0.spilled > 0 }), let last = points.last,
              last.read < size, last.read > first.read else { return nil }
        let middle = first.read + (last.read - first.read) / 2
        guard let from = points.last(where: { $0.read <= middle }), last.read > from.read else { return nil }
        let rate = Double(last.spilled - from.spilled) / Double(last.read - from.read)
        let whole = (Double(last.spilled) + rate * Double(size - last.read)) * 1.2
        return (Int(Double(last.read) / Double(size) * 100), Int(whole))
    }
}

/// A run's scratch folder, made by whichever thread first needs it (the id registry's shards
/// spill in parallel) and shared by everything the run writes there.
final class ScratchFolder: @unchecked Sendable {
    private let parent: String?
    private var folder: TemporaryFolder?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// `parent`: as `TemporaryFolder(in:)` takes it (nil: `$TMPDIR`, else `/tmp`).
    init(parent: String?) {
        self.parent = parent
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// The folder, if made.
    var existing: TemporaryFolder? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return folder
    }

    /// The folder, made on first use.
    func get() throws(PreflightError) -> TemporaryFolder {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let folder { return folder }
        let made = try TemporaryFolder(in: parent)
        folder = made
        return made
    }
}
