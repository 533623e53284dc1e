package bulletin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// MaxNoteSize bounds a signed checkpoint (text and signature lines).
const MaxNoteSize = 16 << 10

// ErrCheckpoint is wrapped by errors about a checkpoint that is malformed
// or not signed by the expected key.
var ErrCheckpoint = errors.New("bulletin: bad checkpoint")

// A Checkpoint is the body of a signed note in the C2SP tlog-checkpoint
// format (e2e/SPEC.md §8.4):
//
//	<origin>\n<size in decimal>\n<base64 root>\n
//
// with no extension lines.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   Hash
}

// Origin returns the checkpoint origin of an election on the board whose
// note key is named boardName: "<boardName>/election/<id>".
func Origin(boardName, election string) string { return boardName + "/election/" + election }

// ValidBoardName reports whether name can be a board name: a valid note key
// name (non-empty, no spaces, no '+', no control characters) of at most 128
// bytes, printable ASCII.
func ValidBoardName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || c == '+' {
			return false
		}
	}
	return true
}

// Text returns the checkpoint body, ending in a newline.
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

// ParseCheckpoint parses a checkpoint body strictly: exactly three lines,
// a canonical decimal size and a canonical base64 root.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	if len(text) > MaxNoteSize || !strings.HasSuffix(text, "\n") {
		return c, fmt.Errorf("%w: body must end in a newline and be at most %d bytes", ErrCheckpoint, MaxNoteSize)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 {
		return c, fmt.Errorf("%w: body has %d lines, want 3", ErrCheckpoint, len(lines))
	}
	if lines[0] == "" {
		return c, fmt.Errorf("%w: empty origin", ErrCheckpoint)
	}
	for _, r := range lines[0] {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return c, fmt.Errorf("%w: origin has a control character", ErrCheckpoint)
		}
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] || size > 1<<62 {
		return c, fmt.Errorf("%w: size is not a canonical decimal", ErrCheckpoint)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return c, fmt.Errorf("%w: root is not canonical base64 of 32 bytes", ErrCheckpoint)
	}
	c.Origin, c.Size = lines[0], size
	copy(c.Root[:], root)
	return c, nil
}

// A SignedCheckpoint is a checkpoint whose note signature by the board key
// has been verified, with the names of the witnesses whose cosignatures
// were verified too.
type SignedCheckpoint struct {
	Checkpoint
	// Note is the whole signed note as received.
	Note []byte
	// Witnesses lists the names of verified witness cosignatures.
	Witnesses []string
}

// OpenCheckpoint verifies a signed checkpoint note: it must be signed by
// board (an Ed25519 note verifier whose name is the board name), its origin
// must be Origin(board.Name(), election), and every cosignature by one of
// witnesses must verify. Signatures by unknown keys are ignored.
func OpenCheckpoint(msg []byte, election string, board note.Verifier, witnesses ...note.Verifier) (*SignedCheckpoint, error) {
	if len(msg) > MaxNoteSize {
		return nil, fmt.Errorf("%w: note of %d bytes over %d", ErrCheckpoint, len(msg), MaxNoteSize)
	}
	if board == nil {
		return nil, fmt.Errorf("%w: no board key", ErrCheckpoint)
	}
	vs := append([]note.Verifier{board}, witnesses...)
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	boardSigned := false
	var wit []string
	for _, s := range n.Sigs {
		if s.Name == board.Name() && s.Hash == board.KeyHash() {
			boardSigned = true
		} else {
			wit = append(wit, s.Name)
		}
	}
	if !boardSigned {
		return nil, fmt.Errorf("%w: not signed by the board key %s", ErrCheckpoint, board.Name())
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	if want := Origin(board.Name(), election); c.Origin != want {
		return nil, fmt.Errorf("%w: origin %q, want %q", ErrCheckpoint, c.Origin, want)
	}
	return &SignedCheckpoint{Checkpoint: c, Note: append([]byte(nil), msg...), Witnesses: wit}, nil
}

// SignCheckpoint signs c with the board's note signer.
func SignCheckpoint(c Checkpoint, board note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: c.Text()}, board)
}

// NoteText returns the text (body) of a note and its signature lines,
// without verifying anything.
func NoteText(msg []byte) (text string, sigLines []string, err error) {
	s := string(msg)
	i := strings.LastIndex(s, "\n\n")
	if i < 0 || !strings.HasSuffix(s, "\n") {
		return "", nil, fmt.Errorf("%w: malformed note", ErrCheckpoint)
	}
	text = s[:i+1]
	rest := strings.TrimSuffix(s[i+2:], "\n")
	if rest == "" {
		return "", nil, fmt.Errorf("%w: note has no signatures", ErrCheckpoint)
	}
	return text, strings.Split(rest, "\n"), nil
}
