package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/cmd/internal/officialkey"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// The officials' console (cmd/tabella/internal/web, /admin): the official's
// key file is opened here, in Go memory, by the same code as the command
// line (cmd/internal/officialkey); every action returns the board
// submission `tabella election …` posts, signed here. The key never
// leaves this memory: no function returns it.

// Bounds on what the console hands to the client.
const (
	maxKeyFileB64  = 2 * officialkey.MaxFileSize
	maxManifestIn  = ballot.MaxManifestSize
	maxTrusteesIn  = 1 << 20
	maxRollVoters  = 1_000_000 // credentials one console roll may generate
	maxRollBatch   = 20_000    // credentials per rollStep call
	maxRoundSecs   = 7 * 24 * 3600
	maxCoOfficials = record.MaxOfficials - 1
)

// Errors of the console functions.
var (
	errNoKey   = errors.New("tabellawasm: no official key is open")
	errNoRoll  = errors.New("tabellawasm: no roll is being generated")
	errBadForm = errors.New("tabellawasm: the manifest has errors")
)

// console is the official's state: the key and a roll being generated.
type console struct {
	key  ed25519.PrivateKey
	roll *rollGen
}

// OfficialKey is what officialOpen returns: the public key only.
type OfficialKey struct {
	PublicKey string `json:"public_key"` // hex, as `tabella official init` prints it
}

// officialOpen decrypts the official's key file (base64 of its bytes)
// with the passphrase. Errors wrap officialkey's (wrong passphrase,
// another kind of file, a damaged file).
func (c *client) officialOpen(fileB64, pass []byte) (*OfficialKey, error) {
	if len(fileB64) > maxKeyFileB64 {
		return nil, fmt.Errorf("%w: %d bytes, an official's key file has at most %d", officialkey.ErrOtherKind, len(fileB64)*3/4, officialkey.MaxFileSize)
	}
	data, err := base64.StdEncoding.DecodeString(string(fileB64))
	if err != nil {
		return nil, fmt.Errorf("%w: the file could not be read", errBadInput)
	}
	k, err := officialkey.Open(data, string(pass))
	if err != nil {
		return nil, err
	}
	c.officialForget()
	c.con.key = k
	return &OfficialKey{PublicKey: hex.EncodeToString(k.Public().(ed25519.PublicKey))}, nil
}

// officialForget drops the key and any roll being generated.
func (c *client) officialForget() {
	if c.con.key != nil {
		clear(c.con.key)
	}
	c.con = console{}
}

// sign returns the submission of an entry signed by the official
// (e2e/SPEC.md §11.1), exactly as service.Official.Sign.
func (c *client) sign(id, typ string, payload []byte) (Submission, error) {
	if c.con.key == nil {
		return Submission{}, errNoKey
	}
	signer, sig := record.Sign(record.Official, c.con.key, id, typ, payload)
	return Submission{Type: typ, Payload: hex.EncodeToString(payload), Signer: hex.EncodeToString(signer), Signature: hex.EncodeToString(sig)}, nil
}

// A FieldError is one error of the manifest form: the field (a path such
// as "contests.0.options.1.id", or "" for the whole manifest) and the
// rule it breaks, in the words of ballot.Manifest.Validate.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ManifestCheck is what manifestCheck returns.
type ManifestCheck struct {
	Errors    []FieldError `json:"errors"`
	Canonical string       `json:"canonical,omitempty"` // the canonical encoding, when valid
	Hash      string       `json:"manifest_hash,omitempty"`
}

// manifestCheck validates a manifest the console's form built (any JSON
// form, e2e/SPEC.md §6) with ballot.Manifest.Validate, the server's rules,
// and says which fields are wrong. Validate stops at the first error, so
// the header and each contest are validated on their own (each beside a
// valid stand-in for the rest), then the whole manifest for the rules
// across contests.
func (c *client) manifestCheck(data []byte) (*ManifestCheck, error) {
	if len(data) > maxManifestIn {
		return nil, fmt.Errorf("%w: manifest of %d bytes, at most %d", errBadInput, len(data), maxManifestIn)
	}
	m, fe := decodeForm(data)
	if fe != nil {
		return &ManifestCheck{Errors: []FieldError{*fe}}, nil
	}
	out := &ManifestCheck{Errors: []FieldError{}}
	header := *m
	header.Contests = []ballot.Contest{standInContest}
	if err := header.Validate(); err != nil {
		out.Errors = append(out.Errors, headerField(err))
	}
	for i := range m.Contests {
		one := standInHeader
		one.Contests = []ballot.Contest{m.Contests[i]}
		if err := one.Validate(); err != nil {
			out.Errors = append(out.Errors, contestField(i, err))
		}
	}
	if len(out.Errors) == 0 {
		if err := m.Validate(); err != nil {
			out.Errors = append(out.Errors, wholeField(err))
		}
	}
	if len(out.Errors) > 0 {
		return out, nil
	}
	enc, err := m.Encode()
	if err != nil {
		return nil, err
	}
	h, err := m.Hash()
	if err != nil {
		return nil, err
	}
	out.Canonical, out.Hash = string(enc), hex.EncodeToString(h[:])
	return out, nil
}

// decodeForm decodes the form's JSON strictly (unknown fields refused);
// a value of the wrong type is an error of its field. Contests are
// decoded one by one so that the error names the contest's index.
func decodeForm(data []byte) (*ballot.Manifest, *FieldError) {
	var top struct {
		ballot.Manifest
		Contests []json.RawMessage `json:"contests"`
	}
	if fe := strictDecode(data, &top, ""); fe != nil {
		return nil, fe
	}
	m := top.Manifest
	m.Contests = make([]ballot.Contest, len(top.Contests))
	for i, raw := range top.Contests {
		if fe := strictDecode(raw, &m.Contests[i], fmt.Sprintf("contests.%d.", i)); fe != nil {
			return nil, fe
		}
	}
	return &m, nil
}

func strictDecode(data []byte, v any, prefix string) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &FieldError{Field: prefix + te.Field, Message: fmt.Sprintf("must be a %s", te.Type)}
		}
		return &FieldError{Field: strings.TrimSuffix(prefix, "."), Message: "not a manifest: " + err.Error()}
	}
	if dec.More() {
		return &FieldError{Message: "not a manifest: trailing data"}
	}
	return nil
}

// The stand-ins beside which one part of a manifest is validated.
var (
	standInContest = ballot.Contest{ID: "x", Title: "x", Kind: ballot.OneOfN, MaxSelections: 1,
		Options: []ballot.Option{{ID: "a", Title: "a"}, {ID: "b", Title: "b"}}}
	standInHeader = ballot.Manifest{Version: ballot.Version, ElectionID: "x", Title: "x",
		Schedule: ballot.Schedule{Opens: "2000-01-01T00:00:00Z", Closes: "2000-01-02T00:00:00Z"}}
)

// rest is the message of a Validate error after its "ballot: invalid
// manifest: " prefix.
func rest(err error) string {
	s := err.Error()
	if _, after, ok := strings.Cut(s, ballot.ErrInvalidManifest.Error()+": "); ok {
		return after
	}
	return s
}

func headerField(err error) FieldError {
	msg := rest(err)
	if after, ok := strings.CutPrefix(msg, "titles: "); ok {
		return titlesField("titles", after)
	}
	for _, f := range []string{"version", "election_id", "title", "schedule.opens", "schedule.closes"} {
		if after, ok := strings.CutPrefix(msg, f+": "); ok {
			return FieldError{Field: f, Message: after}
		}
	}
	if after, ok := strings.CutPrefix(msg, "schedule: "); ok {
		return FieldError{Field: "schedule.closes", Message: after}
	}
	return FieldError{Message: msg}
}

var (
	contestPrefix = regexp.MustCompile(`^contest \d+(?: \("(?:[^"\\]|\\.)*"\))?: `)
	optionPrefix  = regexp.MustCompile(`^option (\d+)(?: \("(?:[^"\\]|\\.)*"\))?: `)
	limitField    = regexp.MustCompile(`\b(min_selections|max_selections|max_score|min_total|max_total|method|seats)\b`)
)

// contestField maps the error of contest i's validation to its field.
func contestField(i int, err error) FieldError {
	msg := contestPrefix.ReplaceAllString(rest(err), "")
	p := fmt.Sprintf("contests.%d.", i)
	if m := optionPrefix.FindStringSubmatch(msg); m != nil {
		after := msg[len(m[0]):]
		if t, ok := strings.CutPrefix(after, "titles: "); ok {
			return titlesField(p+"options."+m[1]+".titles", t)
		}
		field := "id"
		if strings.HasPrefix(after, "title: ") {
			field = "title"
		}
		after = strings.TrimPrefix(strings.TrimPrefix(after, "id: "), "title: ")
		return FieldError{Field: p + "options." + m[1] + "." + field, Message: after}
	}
	if after, ok := strings.CutPrefix(msg, "titles: "); ok {
		return titlesField(p+"titles", after)
	}
	for _, f := range []string{"id", "title"} {
		if after, ok := strings.CutPrefix(msg, f+": "); ok {
			return FieldError{Field: p + f, Message: after}
		}
	}
	switch {
	case strings.HasPrefix(msg, "unknown kind"):
		return FieldError{Field: p + "kind", Message: msg}
	case strings.Contains(msg, "options") && !limitField.MatchString(msg):
		return FieldError{Field: p + "options", Message: msg}
	}
	if f := limitField.FindString(msg); f != "" {
		// "max_total %d > options × max_score" is about max_total; the
		// first limit named is the one the rule bounds.
		return FieldError{Field: p + f, Message: msg}
	}
	return FieldError{Field: p + "kind", Message: msg}
}

var titleTag = regexp.MustCompile(`^([a-z]{2,3}): `)

// titlesField maps an error of a titles map (e2e/SPEC.md §6.1) at path p:
// a title's error to p.<tag>, the map's own (a tag, their number) to p.
func titlesField(p, msg string) FieldError {
	if m := titleTag.FindStringSubmatch(msg); m != nil {
		return FieldError{Field: p + "." + m[1], Message: msg[len(m[0]):]}
	}
	return FieldError{Field: p, Message: msg}
}

var dupContest = regexp.MustCompile(`^contest (\d+): duplicate contest id`)

// wholeField maps an error of the rules across contests.
func wholeField(err error) FieldError {
	msg := rest(err)
	if m := dupContest.FindStringSubmatch(msg); m != nil {
		return FieldError{Field: "contests." + m[1] + ".id", Message: msg[len("contest "+m[1]+": "):]}
	}
	if strings.HasPrefix(msg, "no contests") || strings.Contains(msg, "contests, at most") || strings.Contains(msg, "branches") {
		return FieldError{Field: "contests", Message: msg}
	}
	return FieldError{Message: msg}
}

// TrusteeSummary is what trusteeParse returns for a public record.
type TrusteeSummary struct {
	Name       string `json:"name"`
	SigningKey string `json:"signing_key"`
	Record     string `json:"record"` // the record as it goes into the setup
}

// trusteeParse parses and checks a trustee's public record (the
// .pub.json of `tabella trustee init`).
func (c *client) trusteeParse(data []byte) (*TrusteeSummary, error) {
	if len(data) > maxTrusteesIn {
		return nil, fmt.Errorf("%w: %d bytes", errBadInput, len(data))
	}
	p, err := trustee.ParsePublic(bytes.TrimSpace(data))
	if err != nil {
		return nil, err
	}
	return &TrusteeSummary{Name: p.Name, SigningKey: hex.EncodeToString(p.SigningKey[:]), Record: string(p.Marshal())}, nil
}

// CreateRequest is electionCreate's input: what `tabella election create`
// takes on its command line.
type CreateRequest struct {
	Board        BoardRef `json:"board"`    // GET /v1/board
	Manifest     string   `json:"manifest"` // any JSON form
	Trustees     []string `json:"trustees"` // public records, in order
	Threshold    int      `json:"threshold"`
	RoundSeconds int      `json:"round_seconds"`
	CoOfficials  []string `json:"co_officials"` // hex public keys
}

// BoardRef is the board's name and note verifier key.
type BoardRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// CreateResult is electionCreate's output: the three submissions to post
// in order.
type CreateResult struct {
	ElectionID  string       `json:"election_id"`
	Submissions []Submission `json:"submissions"`
}

// electionCreate builds and signs election.setup, election.manifest and
// ceremony.params, the entries of `tabella election create`
// (cmd/tabella/election.go, createElection; e2e/SPEC.md §11.3, §9.2).
func (c *client) electionCreate(data []byte) (*CreateResult, error) {
	if c.con.key == nil {
		return nil, errNoKey
	}
	if len(data) > maxManifestIn+maxTrusteesIn {
		return nil, fmt.Errorf("%w: request of %d bytes", errBadInput, len(data))
	}
	var req CreateRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadInput, err)
	}
	chk, err := c.manifestCheck([]byte(req.Manifest))
	if err != nil {
		return nil, err
	}
	if len(chk.Errors) > 0 {
		e := chk.Errors[0]
		return nil, fmt.Errorf("%w: %s: %s", errBadForm, e.Field, e.Message)
	}
	m, err := ballot.DecodeManifest([]byte(chk.Canonical))
	if err != nil {
		return nil, err
	}
	if req.RoundSeconds < 1 || req.RoundSeconds > maxRoundSecs {
		return nil, fmt.Errorf("%w: round seconds %d, want 1 to %d", errBadInput, req.RoundSeconds, maxRoundSecs)
	}
	if len(req.CoOfficials) > maxCoOfficials {
		return nil, fmt.Errorf("%w: %d co-officials, at most %d", errBadInput, len(req.CoOfficials), maxCoOfficials)
	}
	var pubs []trustee.Public
	for i, t := range req.Trustees {
		p, err := trustee.ParsePublic([]byte(strings.TrimSpace(t)))
		if err != nil {
			return nil, fmt.Errorf("trustee %d: %w", i+1, err)
		}
		pubs = append(pubs, *p)
	}
	officials := []record.Key32{record.Key32(c.con.key.Public().(ed25519.PublicKey))}
	for _, k := range req.CoOfficials {
		b, err := hex.DecodeString(strings.TrimSpace(k))
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: co-official key %q is not 64 hex digits", errBadInput, k)
		}
		officials = append(officials, record.Key32(b))
	}
	id := m.ElectionID
	st := &record.Setup{Version: record.Version, ElectionID: id, Board: record.BoardInfo{Name: req.Board.Name, Key: req.Board.Key},
		Officials: officials, Trustees: pubs, Threshold: req.Threshold}
	if err := st.Check(); err != nil {
		return nil, err
	}
	setup, err := canon.Marshal(st)
	if err != nil {
		return nil, err
	}
	mh, err := m.Hash()
	if err != nil {
		return nil, err
	}
	params, err := ceremony.NewParams(id, mh, req.Threshold, time.Duration(req.RoundSeconds)*time.Second, pubs)
	if err != nil {
		return nil, err
	}
	out := &CreateResult{ElectionID: id}
	for _, p := range []struct {
		typ     string
		payload []byte
	}{{record.TypeSetup, setup}, {record.TypeManifest, []byte(chk.Canonical)}, {record.TypeCeremony, params.Marshal()}} {
		s, err := c.sign(id, p.typ, p.payload)
		if err != nil {
			return nil, err
		}
		out.Submissions = append(out.Submissions, s)
	}
	return out, nil
}

// phaseEntry signs election.open or election.close (e2e/SPEC.md §11.5).
func (c *client) phaseEntry(id, verb string) (*Submission, error) {
	typ := map[string]string{"open": record.TypeOpen, "close": record.TypeClose}[verb]
	if typ == "" {
		return nil, fmt.Errorf("%w: phase %q, want open or close", errBadInput, verb)
	}
	payload, err := canon.Marshal(&record.Phase{ElectionID: id})
	if err != nil {
		return nil, err
	}
	s, err := c.sign(id, typ, payload)
	return &s, err
}

// rollGen is a roll being generated: the public credentials so far.
type rollGen struct {
	id, server string
	total      int
	pubs       []*group.Point
}

// RollProgress is what rollStep returns: how many credentials exist, and
// the CSV rows (voter, election, server, credential) and letters'
// secrets of this batch, for the page to assemble the downloads.
type RollProgress struct {
	Done    int      `json:"done"`
	Total   int      `json:"total"`
	CSV     string   `json:"csv"`     // rows of this batch, no header
	Secrets []string `json:"secrets"` // this batch's credentials, in order
}

// RollCSVHeader is the header row of the credentials CSV, the same as
// `tabella election roll` writes (credentials.csv), without its per-voter
// file column.
const RollCSVHeader = "voter,election,server,credential\n"

// rollBegin starts generating a roll of n credentials for election id;
// server is the voting link's server, written into the CSV.
func (c *client) rollBegin(id, server []byte, n int) error {
	if c.con.key == nil {
		return errNoKey
	}
	if n < 1 || n > maxRollVoters {
		return fmt.Errorf("%w: %d voters, want 1 to %d", errBadInput, n, maxRollVoters)
	}
	if len(id) == 0 || len(id) > ballot.MaxIDLength || len(server) > 2048 {
		return fmt.Errorf("%w: election id or server", errBadInput)
	}
	c.con.roll = &rollGen{id: string(id), server: string(server), total: n, pubs: make([]*group.Point, 0, n)}
	return nil
}

// rollStep generates up to k more credentials (ballot.NewCredential, the
// CLI's) and returns them for the downloads; only their public keys stay
// here, for the roll entries.
func (c *client) rollStep(k int) (*RollProgress, error) {
	r := c.con.roll
	if r == nil || c.con.key == nil {
		return nil, errNoRoll
	}
	if k < 1 || k > maxRollBatch {
		return nil, fmt.Errorf("%w: batch of %d, want 1 to %d", errBadInput, k, maxRollBatch)
	}
	k = min(k, r.total-len(r.pubs))
	var b strings.Builder
	w := csv.NewWriter(&b)
	out := &RollProgress{Total: r.total, Secrets: make([]string, 0, k)}
	for range k {
		cr := ballot.NewCredential()
		r.pubs = append(r.pubs, cr.Public())
		s := cr.Secret()
		out.Secrets = append(out.Secrets, s)
		_ = w.Write([]string{strconv.Itoa(len(r.pubs)), r.id, r.server, s})
	}
	w.Flush()
	out.CSV, out.Done = b.String(), len(r.pubs)
	return out, nil
}

// RollEntries is what rollFinish returns: the roll.voters chunks and the
// roll.seal, to post in order, and the seal's count and hash.
type RollEntries struct {
	Submissions []Submission `json:"submissions"`
	Count       uint64       `json:"count"`
	Hash        string       `json:"hash"`
}

// rollFinish signs the roll entries of the generated credentials, as
// `tabella election roll` posts them (service.RollPayloads; e2e/SPEC.md
// §11.4), and forgets the roll.
func (c *client) rollFinish() (*RollEntries, error) {
	r := c.con.roll
	if r == nil || c.con.key == nil {
		return nil, errNoRoll
	}
	if len(r.pubs) != r.total {
		return nil, fmt.Errorf("%w: %d of %d credentials generated", errBadInput, len(r.pubs), r.total)
	}
	out := &RollEntries{}
	for k := 0; k*record.MaxRollChunk < len(r.pubs); k++ {
		part := r.pubs[k*record.MaxRollChunk : min(len(r.pubs), (k+1)*record.MaxRollChunk)]
		b, err := canon.Marshal(&record.RollVoters{Chunk: k, Credentials: part})
		if err != nil {
			return nil, err
		}
		s, err := c.sign(r.id, record.TypeRollVoters, b)
		if err != nil {
			return nil, err
		}
		out.Submissions = append(out.Submissions, s)
	}
	h := record.RollHash(r.id, r.pubs)
	seal, err := canon.Marshal(&record.RollSeal{Count: uint64(len(r.pubs)), Hash: record.Key32(h)})
	if err != nil {
		return nil, err
	}
	s, err := c.sign(r.id, record.TypeRollSeal, seal)
	if err != nil {
		return nil, err
	}
	out.Submissions = append(out.Submissions, s)
	out.Count, out.Hash = uint64(len(r.pubs)), hex.EncodeToString(h[:])
	c.con.roll = nil
	return out, nil
}
