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

    /// A new nameless file in the folder, open for reading and writing (the caller closes it).
    func createFile() throws(PreflightError) -> Int32 {
        guard let (descriptor, name) = UniqueName.file(path + "/spill-") else {
            throw .cannotWrite("a temporary file in \(parent)", errno: errno)
        }
        _ = fchmod(descriptor, 0o600)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        unlink(name)
        return descriptor
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
