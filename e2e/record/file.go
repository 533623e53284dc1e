package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
)

// FileVersion labels the record file format (e2e/SPEC.md §11.7).
const FileVersion = "tabella-record/v2"

// fileVersionV1 is the format before trustee signatures named the
// election (e2e/SPEC.md §9.1, §11.7): its records cannot be checked by
// the rules of v2.
const fileVersionV1 = "tabella-record/v1"

// maxLine bounds one line of a record file: an entry's JSON and its
// wrapper.
const maxLine = bulletin.MaxEntryJSON + 64

// Header is the first line of a record file.
type Header struct {
	Version  string `json:"version"`
	Election string `json:"election"`
	BoardKey string `json:"board_key"`
}

// line is every line after the header: exactly one field is set.
type line struct {
	Entry      *bulletin.Entry `json:"entry,omitempty"`
	Checkpoint string          `json:"checkpoint,omitempty"`
}

// A Writer writes a record file: the header, then entries in index order and
// the signed checkpoints seen along the way, the last line being a
// checkpoint that covers every entry (e2e/SPEC.md §11.7).
type Writer struct {
	w        *bufio.Writer
	election string
	next     uint64
}

// NewWriter writes the header and returns a Writer.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Version == "" {
		h.Version = FileVersion
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := writeLine(bw, &h); err != nil {
		return nil, err
	}
	return &Writer{w: bw, election: h.Election}, nil
}

func writeLine(w *bufio.Writer, v any) error {
	b, err := canon.Marshal(v)
	if err != nil {
		return fmt.Errorf("record: encoding line: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("record: writing: %w", err)
	}
	return nil
}

// Entry writes the next entry; entries must come in index order from 0.
func (w *Writer) Entry(e *bulletin.Entry) error {
	if e.Index != w.next {
		return fmt.Errorf("record: writing entry %d, want entry %d", e.Index, w.next)
	}
	w.next++
	return writeLine(w.w, &line{Entry: e})
}

// Checkpoint writes a signed checkpoint note.
func (w *Writer) Checkpoint(note []byte) error {
	if len(note) == 0 {
		return errors.New("record: empty checkpoint")
	}
	return writeLine(w.w, &line{Checkpoint: string(note)})
}

// Flush flushes buffered lines to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

// An Item is one line of a record file after the header: an entry or a
// checkpoint note.
type Item struct {
	Line       int             // 1-based line number in the file
	Entry      *bulletin.Entry // set for an entry line (hash and shape checked)
	Checkpoint []byte          // set for a checkpoint line (not yet verified)
}

// A Reader reads a record file line by line, decoding strictly.
type Reader struct {
	r      *bufio.Reader
	header Header
	line   int
}

// ErrFormat is wrapped by every error about the file's format.
var ErrFormat = errors.New("record: malformed record file")

// NewReader reads and checks the header.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 1<<16)}
	b, err := rd.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file", ErrFormat)
		}
		return nil, err
	}
	if err := canon.Unmarshal(b, &rd.header, 4096); err != nil {
		return nil, fmt.Errorf("%w: line 1 (header): %w", ErrFormat, err)
	}
	if rd.header.Version == fileVersionV1 {
		return nil, fmt.Errorf("%w: line 1: version %q: a record made before trustee signatures named their election (SPEC v2, §9.1); this verifier checks %q records only — verify it with a tabella release before the change", ErrFormat, rd.header.Version, FileVersion)
	}
	if rd.header.Version != FileVersion {
		return nil, fmt.Errorf("%w: line 1: version %q, want %q", ErrFormat, rd.header.Version, FileVersion)
	}
	if !bulletin.ValidElectionID(rd.header.Election) {
		return nil, fmt.Errorf("%w: line 1: malformed election id", ErrFormat)
	}
	return rd, nil
}

// Header returns the file's header.
func (r *Reader) Header() Header { return r.header }

func (r *Reader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrFormat, r.line+1, maxLine)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%w: line %d has no final newline (truncated file?)", ErrFormat, r.line+1)
		}
		return nil, fmt.Errorf("record: reading line %d: %w", r.line+1, err)
	}
	r.line++
	return bytes.TrimSuffix(buf, []byte("\n")), nil
}

// Next returns the next item, or io.EOF after the last line.
func (r *Reader) Next() (*Item, error) {
	b, err := r.readLine()
	if err != nil {
		return nil, err
	}
	// An entry line is {"entry":E}: canonical exactly when E is (the fast
	// path of bulletin.DecodeEntryJSON; anything else is decoded below).
	if inner, ok := bytes.CutPrefix(b, []byte(`{"entry":`)); ok && len(inner) > 0 && inner[len(inner)-1] == '}' {
		if e, err := bulletin.DecodeEntryJSON(inner[:len(inner)-1]); err == nil {
			if err := e.Check(r.header.Election); err != nil {
				return nil, fmt.Errorf("line %d: %w", r.line, err)
			}
			return &Item{Line: r.line, Entry: e}, nil
		}
	}
	var l line
	if err := canon.Unmarshal(b, &l, maxLine); err != nil {
		return nil, fmt.Errorf("%w: line %d: %w", ErrFormat, r.line, err)
	}
	switch {
	case l.Entry != nil && l.Checkpoint == "":
		if err := l.Entry.Check(r.header.Election); err != nil {
			return nil, fmt.Errorf("line %d: %w", r.line, err)
		}
		return &Item{Line: r.line, Entry: l.Entry}, nil
	case l.Entry == nil && l.Checkpoint != "":
		return &Item{Line: r.line, Checkpoint: []byte(l.Checkpoint)}, nil
	}
	return nil, fmt.Errorf("%w: line %d: want exactly one of entry and checkpoint", ErrFormat, r.line)
}
