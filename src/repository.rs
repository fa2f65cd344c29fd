//! A git repository holding one commit of a rendered tree, built in memory as the files of its
//! `.git` directory: `HEAD`, `config`, the branch ref and its reflog, the index (so `git status`
//! is clean from the start) and a single packfile with its index.
//!
//! Written here rather than through libgit2's object database: its pack builder searches for
//! deltas between every pair of similar files, which cost more than everything else in a run
//! together. Objects are stored whole and not compressed (zlib's "stored" blocks, which every git
//! reads): even the fastest deflate cost a fifth of a run, to save a few hundred kilobytes that
//! `git gc` compresses later anyway.
//! The formats are git's documented ones (gitformat-pack, gitformat-index); tests read the result
//! with libgit2 and `git fsck --strict`.

use std::collections::HashSet;
use std::fmt::Write as _;

use sha1::{Digest, Sha1};

use crate::render::Tree;
use crate::write::Binary;

/// Who made the commit, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub email: String,
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Offset from UTC of the author's local time.
    pub offset_minutes: i32,
}

impl Identity {
    /// `Name <email> 1700000000 +0100`, as commits and reflogs spell it.
    fn signature(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let offset = self.offset_minutes.unsigned_abs();
        format!("{} <{}> {} {sign}{:02}{:02}", self.name, self.email, self.seconds, offset / 60, offset % 60)
    }
}

/// What the repository is made of besides the files.
pub struct Commit<'a> {
    pub identity: &'a Identity,
    pub branch: &'a str,
    pub message: &'a str,
    /// Whether the file system ignores case (git records it so it can cope).
    pub ignore_case: bool,
}

type Oid = [u8; 20];

#[derive(Clone, Copy)]
enum Kind {
    Commit = 1,
    Tree = 2,
    Blob = 3,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
        }
    }
}

/// An object as the pack holds it: its id, and its entry (type and size, then the deflated body).
struct Packed {
    id: Oid,
    entry: Vec<u8>,
}

impl Packed {
    fn new(kind: Kind, body: &[u8]) -> Self {
        let mut hasher = Sha1::new();
        hasher.update(format!("{} {}\0", kind.name(), body.len()));
        hasher.update(body);
        let mut entry = Vec::with_capacity(body.len() + body.len() / 65_535 * 5 + 32);
        pack_header(&mut entry, kind, body.len());
        zlib_stored(&mut entry, body);
        Self { id: hasher.finalize().into(), entry }
    }
}

/// `data` as a zlib stream of stored (uncompressed) blocks: header, blocks of at most 64 KiB
/// each with its length and the length's complement, then the Adler-32 of `data`.
fn zlib_stored(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(usize::from(u16::MAX)).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let mut adler = adler2::Adler32::new();
    adler.write_slice(data);
    out.extend_from_slice(&adler.checksum().to_be_bytes());
}

fn hex(id: &Oid) -> String {
    id.iter().fold(String::with_capacity(40), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// The `.git` directory of a repository whose one commit holds `tree`.
#[must_use]
pub fn build(tree: &Tree, commit: &Commit<'_>) -> Binary {
    let files: Vec<(&String, &String)> = tree.iter().collect();
    let mut packed = pack_blobs(&files);
    let entries: Vec<Entry<'_>> = files
        .iter()
        .zip(&packed)
        .map(|((path, body), blob)| Entry { path, id: blob.id, mode: mode(path), size: body.len() })
        .collect();
    let root = write_tree(&entries, "", &mut packed);
    let signature = commit.identity.signature();
    let message = format!("tree {}\nauthor {signature}\ncommitter {signature}\n\n{}\n", hex(&root), commit.message);
    let head = Packed::new(Kind::Commit, message.as_bytes());
    let head_id = head.id;
    packed.push(head);
    let (pack, index, checksum) = pack(&packed);
    let name = format!(".git/objects/pack/pack-{}", hex(&checksum));
    let zero = hex(&[0; 20]);
    let reflog = format!("{zero} {} {signature}\tcommit (initial): {}\n", hex(&head_id), commit.message);
    Binary::from([
        (".git/HEAD".to_owned(), format!("ref: refs/heads/{}\n", commit.branch).into_bytes()),
        (".git/config".to_owned(), config(commit.ignore_case).into_bytes()),
        (format!(".git/refs/heads/{}", commit.branch), format!("{}\n", hex(&head_id)).into_bytes()),
        // The pristine render, which later changes merge against (see `crate::pristine`): the
        // first commit is exactly what was generated.
        (format!(".git/{}", crate::pristine::REF), format!("{}\n", hex(&head_id)).into_bytes()),
        (".git/logs/HEAD".to_owned(), reflog.clone().into_bytes()),
        (format!(".git/logs/refs/heads/{}", commit.branch), reflog.into_bytes()),
        (".git/index".to_owned(), work_tree_index(&entries)),
        (format!("{name}.pack"), pack),
        (format!("{name}.idx"), index),
    ])
}

/// Hashes the files' blobs and lays out their pack entries, in order, on two threads.
fn pack_blobs(files: &[(&String, &String)]) -> Vec<Packed> {
    let half = files.len() / 2;
    let (first, second) = files.split_at(half);
    let blobs = |part: &[(&String, &String)]| -> Vec<Packed> {
        part.iter().map(|(_, body)| Packed::new(Kind::Blob, body.as_bytes())).collect()
    };
    std::thread::scope(|scope| {
        let other = scope.spawn(|| blobs(second));
        let mut packed = blobs(first);
        // A panic here is a bug; repeating the work on this thread still gives the right result.
        packed.extend(other.join().unwrap_or_else(|_| blobs(second)));
        packed
    })
}

fn config(ignore_case: bool) -> String {
    let mut config = String::from(
        "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n",
    );
    if ignore_case {
        config.push_str("\tignorecase = true\n");
    }
    if cfg!(target_os = "macos") {
        config.push_str("\tprecomposeunicode = true\n");
    }
    config
}

struct Entry<'a> {
    path: &'a str,
    id: Oid,
    mode: u32,
    size: usize,
}

/// The git file mode of a generated file.
pub(crate) fn mode(path: &str) -> u32 {
    if crate::write::is_script(std::path::Path::new(path)) { 0o100_755 } else { 0o100_644 }
}

/// Writes the tree object of the directory `prefix` (`""` or `dir/`) from the entries below it,
/// which are sorted by path, and returns its id.
fn write_tree(entries: &[Entry<'_>], prefix: &str, packed: &mut Vec<Packed>) -> Oid {
    // (name, is directory, id): git orders a directory as if its name ended in `/`.
    let mut children: Vec<(&str, bool, Oid)> = Vec::new();
    let mut rest = entries;
    while let Some(first) = rest.first() {
        let relative = &first.path[prefix.len()..];
        if let Some((dir, _)) = relative.split_once('/') {
            let sub = format!("{prefix}{dir}/");
            let len = rest.iter().take_while(|e| e.path.starts_with(&sub)).count();
            children.push((dir, true, write_tree(&rest[..len], &sub, packed)));
            rest = &rest[len..];
        } else {
            children.push((relative, false, first.id));
            rest = &rest[1..];
        }
    }
    children.sort_by(|a, b| sort_key(a.0, a.1).cmp(sort_key(b.0, b.1)));
    let mut body = Vec::new();
    for (name, is_dir, id) in children {
        let mode = if is_dir { "40000".to_owned() } else { format!("{:o}", mode(&format!("{prefix}{name}"))) };
        body.extend_from_slice(format!("{mode} {name}\0").as_bytes());
        body.extend_from_slice(&id);
    }
    let tree = Packed::new(Kind::Tree, &body);
    let id = tree.id;
    packed.push(tree);
    id
}

fn sort_key(name: &str, is_dir: bool) -> impl Iterator<Item = u8> + '_ {
    name.bytes().chain(is_dir.then_some(b'/'))
}

/// The packfile, its `.idx`, and the pack's checksum, which names both.
fn pack(objects: &[Packed]) -> (Vec<u8>, Vec<u8>, Oid) {
    // Identical files (or directories) are one object, stored once.
    let mut seen = HashSet::with_capacity(objects.len());
    let unique: Vec<&Packed> = objects.iter().filter(|o| seen.insert(o.id)).collect();
    let mut pack = Vec::with_capacity(unique.iter().map(|o| o.entry.len()).sum::<usize>() + 32);
    pack.extend_from_slice(b"PACK");
    pack.extend_from_slice(&2u32.to_be_bytes());
    pack.extend_from_slice(&u32::try_from(unique.len()).unwrap_or(u32::MAX).to_be_bytes());
    // (id, crc32 of its entry, offset in the pack)
    let mut located: Vec<(Oid, u32, usize)> = Vec::with_capacity(unique.len());
    for object in unique {
        located.push((object.id, crc32fast::hash(&object.entry), pack.len()));
        pack.extend_from_slice(&object.entry);
    }
    let checksum: Oid = Sha1::digest(&pack).into();
    pack.extend_from_slice(&checksum);
    located.sort_unstable_by_key(|a| a.0);
    (pack, pack_index(&located, &checksum), checksum)
}

/// Type and inflated size, 4 bits of size in the first byte and 7 in each next one.
fn pack_header(pack: &mut Vec<u8>, kind: Kind, size: usize) {
    let low = |bits: usize, mask: usize| u8::try_from(bits & mask).unwrap_or_default();
    let mut byte = ((kind as u8) << 4) | low(size, 0x0f);
    let mut rest = size >> 4;
    while rest > 0 {
        pack.push(byte | 0x80);
        byte = low(rest, 0x7f);
        rest >>= 7;
    }
    pack.push(byte);
}

/// Version 2 pack index: fan-out table, sorted ids, CRCs, offsets, then both checksums.
fn pack_index(located: &[(Oid, u32, usize)], pack_checksum: &Oid) -> Vec<u8> {
    let mut index = Vec::with_capacity(1072 + located.len() * 28 + 40);
    index.extend_from_slice(b"\xfftOc");
    index.extend_from_slice(&2u32.to_be_bytes());
    for byte in 0..=255u8 {
        let up_to = located.iter().take_while(|(id, _, _)| id[0] <= byte).count();
        index.extend_from_slice(&u32::try_from(up_to).unwrap_or(u32::MAX).to_be_bytes());
    }
    for (id, _, _) in located {
        index.extend_from_slice(id);
    }
    for (_, crc, _) in located {
        index.extend_from_slice(&crc.to_be_bytes());
    }
    // A generated project's pack stays far below the 2 GiB that would need 64-bit offsets.
    for (_, _, offset) in located {
        index.extend_from_slice(&u32::try_from(*offset).unwrap_or(u32::MAX).to_be_bytes());
    }
    index.extend_from_slice(pack_checksum);
    let checksum: Oid = Sha1::digest(&index).into();
    index.extend_from_slice(&checksum);
    index
}

/// Version 2 index of the work tree. Stat fields are left zero, as `git read-tree` leaves them:
/// git compares contents on the first `git status` and records the stats then.
fn work_tree_index(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut index = Vec::with_capacity(12 + entries.len() * 96 + 20);
    index.extend_from_slice(b"DIRC");
    index.extend_from_slice(&2u32.to_be_bytes());
    index.extend_from_slice(&u32::try_from(entries.len()).unwrap_or(u32::MAX).to_be_bytes());
    for entry in entries {
        let start = index.len();
        index.extend_from_slice(&[0; 24]); // ctime, mtime (seconds, nanoseconds), dev, ino
        index.extend_from_slice(&entry.mode.to_be_bytes());
        index.extend_from_slice(&[0; 8]); // uid, gid
        index.extend_from_slice(&u32::try_from(entry.size).unwrap_or(u32::MAX).to_be_bytes());
        index.extend_from_slice(&entry.id);
        let flags = u16::try_from(entry.path.len()).unwrap_or(0xfff).min(0xfff);
        index.extend_from_slice(&flags.to_be_bytes());
        index.extend_from_slice(entry.path.as_bytes());
        // NUL-terminated and padded to a multiple of 8 bytes.
        let len = index.len() - start;
        index.resize(start + (len / 8 + 1) * 8, 0);
    }
    let checksum: Oid = Sha1::digest(&index).into();
    index.extend_from_slice(&checksum);
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`, and the empty tree.
        let blob = Packed::new(Kind::Blob, b"hello\n");
        assert_eq!(hex(&blob.id), "ce013625030ba8dba906f756967f9e9ca394464a");
        let tree = Packed::new(Kind::Tree, b"");
        assert_eq!(hex(&tree.id), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    }

    #[test]
    fn a_directory_sorts_as_if_its_name_ended_in_a_slash() {
        let mut names = vec![("foo", true), ("foo.rs", false), ("foo-bar", false)];
        names.sort_by(|a, b| sort_key(a.0, a.1).cmp(sort_key(b.0, b.1)));
        assert_eq!(names, [("foo-bar", false), ("foo.rs", false), ("foo", true)]);
    }

    #[test]
    fn sizes_are_spelled_in_seven_bit_groups() {
        let mut out = Vec::new();
        pack_header(&mut out, Kind::Blob, 15);
        assert_eq!(out, [0x3f]);
        out.clear();
        pack_header(&mut out, Kind::Blob, 300);
        assert_eq!(out, [0xbc, 0x12]);
    }

    #[test]
    fn stored_zlib_streams_inflate_to_their_data() {
        // Blocks hold at most 65,535 bytes: this needs three, the last one marked final.
        let data: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        for data in [&data[..], b"", b"hello\n"] {
            let mut stream = Vec::new();
            zlib_stored(&mut stream, data);
            let mut inflated = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&stream[..]), &mut inflated).unwrap();
            assert_eq!(inflated, data);
        }
    }

    #[test]
    fn identical_files_are_one_object_in_the_pack() {
        let tree = Tree::from([("a".to_owned(), "same\n".to_owned()), ("b/c".to_owned(), "same\n".to_owned())]);
        let who = Identity { name: "A".into(), email: "a@x".into(), seconds: 0, offset_minutes: 0 };
        let files = build(&tree, &Commit { identity: &who, branch: "main", message: "m", ignore_case: false });
        let pack =
            files.iter().find(|(path, _)| std::path::Path::new(path).extension() == Some("pack".as_ref())).unwrap().1;
        // One blob, two trees (root and b), one commit.
        assert_eq!(pack[8..12], 4u32.to_be_bytes());
    }

    #[test]
    fn signatures_carry_the_utc_offset() {
        let mut who = Identity { name: "A".into(), email: "a@x".into(), seconds: 5, offset_minutes: -330 };
        assert_eq!(who.signature(), "A <a@x> 5 -0530");
        who.offset_minutes = 60;
        assert_eq!(who.signature(), "A <a@x> 5 +0100");
    }
}
