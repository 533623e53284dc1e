package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/note"
)

// Bounds on what the page hands to the client. Everything the page passes
// comes from the network or the voter, so it is untrusted.
const (
	maxInfoSize     = ballot.MaxManifestSize + 64<<10
	maxChoicesSize  = 1 << 20
	maxPending      = 16 // encryptions held at once (each is one attempt)
	maxBoardKeySize = 512
	signerVoter     = 0x03 // e2e/SPEC.md §11.1: voter signer kind byte
)

// Errors of the client. Every error returned to the page wraps one of
// them, and none ever contains a credential, a nonce or a choice.
var (
	errNoElection   = errors.New("tabellawasm: no election loaded")
	errBadInput     = errors.New("tabellawasm: malformed input")
	errElection     = errors.New("tabellawasm: election information is inconsistent")
	errUnknown      = errors.New("tabellawasm: unknown or discarded encryption")
	errRevealed     = errors.New("tabellawasm: this encryption was revealed by a check and can never be cast")
	errCast         = errors.New("tabellawasm: this encryption was already submitted for casting and cannot be checked")
	errTooMany      = errors.New("tabellawasm: too many pending encryptions")
	errWrongBallot  = errors.New("tabellawasm: the board entry is not the expected ballot")
	errWrongReceipt = errors.New("tabellawasm: the receipt does not match")
)

// electionInfo is the part of the service's GET /v1/elections/{id}
// response that the client needs. Other fields are ignored; the manifest
// is kept as its exact bytes, since its hash is over them.
type electionInfo struct {
	ElectionID   string          `json:"election_id"`
	Manifest     json.RawMessage `json:"manifest"`
	JointKey     string          `json:"joint_key"`
	BaseHash     string          `json:"base_hash"`
	CeremonyHash string          `json:"ceremony_hash"`
	BoardKey     string          `json:"board_key"`
}

// state of one encryption attempt (one Benaloh round).
type attemptState int

const (
	attemptFresh   attemptState = iota // encrypted, never shown to anyone but the voter
	attemptCasting                     // handed out for casting: may never be revealed
)

// attempt is one encryption the voter has not yet cast or checked. The
// opening (nonces) stays here, in Go memory, until the voter checks the
// encryption, and is dropped when it is cast, checked or discarded.
type attempt struct {
	ballot  *ballot.Ballot
	opening *ballot.Opening
	payload []byte
	state   attemptState
}

// client is the state behind the page's calls: the election, pending
// encryptions, and an observer's verified view of the board.
type client struct {
	election *ballot.Election
	board    note.Verifier
	attempts map[int]*attempt
	next     int
	obs      *observer
	setup    *setupCheck
	con      console // the officials' console (admin.go)
}

func newClient() *client { return &client{attempts: map[int]*attempt{}} }

// ElectionSummary is what loadElection returns to the page.
type ElectionSummary struct {
	ElectionID   string `json:"election_id"`
	Title        string `json:"title"`
	ManifestHash string `json:"manifest_hash"`
	BaseHash     string `json:"base_hash"`
	Ranked       bool   `json:"ranked"`
}

// loadElection decodes the service's election information, validates the
// manifest strictly and builds the election ballots are encrypted for. If
// the information carries the ceremony hash, the base hash is recomputed
// (e2e/SPEC.md §6.3) and must match.
func (c *client) loadElection(data []byte) (*ElectionSummary, error) {
	if len(data) > maxInfoSize {
		return nil, fmt.Errorf("%w: election information of %d bytes", errBadInput, len(data))
	}
	var info electionInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("%w: election information: %v", errBadInput, err)
	}
	if len(info.Manifest) == 0 {
		return nil, fmt.Errorf("%w: election information has no manifest", errBadInput)
	}
	m, err := ballot.DecodeManifest(bytes.TrimSpace(info.Manifest))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errElection, err)
	}
	if info.ElectionID != "" && info.ElectionID != m.ElectionID {
		return nil, fmt.Errorf("%w: election %q serves the manifest of %q", errElection, info.ElectionID, m.ElectionID)
	}
	mh, err := m.Hash()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errElection, err)
	}
	sum := &ElectionSummary{ElectionID: m.ElectionID, Title: m.Title, ManifestHash: hex.EncodeToString(mh[:])}
	for i := range m.Contests {
		if m.Contests[i].Kind == ballot.Ranked {
			sum.Ranked = true
		}
	}
	if info.BoardKey != "" {
		v, err := parseBoardKey(info.BoardKey)
		if err != nil {
			return nil, err
		}
		c.board = v
	}
	if info.JointKey == "" {
		// Before the key ceremony ends there is nothing to encrypt to; the
		// page can still show the manifest.
		c.election = nil
		return sum, nil
	}
	jk, err := decodePoint(info.JointKey)
	if err != nil {
		return nil, fmt.Errorf("%w: joint key: %w", errElection, err)
	}
	base, err := decodeHash32(info.BaseHash)
	if err != nil {
		return nil, fmt.Errorf("%w: base hash: %w", errElection, err)
	}
	var e *ballot.Election
	if info.CeremonyHash != "" {
		ch, err := decodeHash32(info.CeremonyHash)
		if err != nil {
			return nil, fmt.Errorf("%w: ceremony hash: %w", errElection, err)
		}
		if e, err = ballot.NewElection(m, jk, ch); err != nil {
			return nil, fmt.Errorf("%w: %w", errElection, err)
		}
		if e.BaseHash != base {
			return nil, fmt.Errorf("%w: the base hash does not follow from the manifest, joint key and ceremony hash", errElection)
		}
	} else {
		e = &ballot.Election{Manifest: m, ManifestHash: mh, JointKey: group.NewFixedBase(jk).Point(), BaseHash: base}
	}
	c.election = e
	sum.BaseHash = hex.EncodeToString(e.BaseHash[:])
	clear(c.attempts) // encryptions for another election are worthless
	return sum, nil
}

// CredentialInfo is what checkCredential returns: only public data.
type CredentialInfo struct {
	Public string `json:"public"`
	Signer string `json:"signer"`
}

// checkCredential parses a printed credential (e2e/SPEC.md §7.1) and
// returns its public key and the board signer of its ballots.
func (c *client) checkCredential(s string) (*CredentialInfo, error) {
	cred, err := ballot.ParseCredential(s)
	if err != nil {
		return nil, err // ballot's errors never contain the input
	}
	return credentialInfo(cred), nil
}

func credentialInfo(cred *ballot.Credential) *CredentialInfo {
	pub := cred.Public().Bytes()
	return &CredentialInfo{Public: hex.EncodeToString(pub[:]), Signer: voterSigner(cred.Public())}
}

// Encrypted is what encrypt returns: everything public about a fresh
// encryption, and a handle to cast or check it.
type Encrypted struct {
	Handle       int    `json:"handle"`
	TrackingCode string `json:"tracking_code"`
	BallotHash   string `json:"ballot_hash"`
	Signer       string `json:"signer"`
	// Millis is how long encryption and proofs took, for the page's
	// performance figure.
	Millis float64 `json:"millis"`
}

// encrypt encrypts and proves the voter's choices with the credential,
// keeps the opening, and returns the tracking code. The ballot is not
// released until [cast]. choicesJSON maps a contest id to one integer per
// option (e2e/SPEC.md §7.2); for a ranked contest, to the ranking: the
// option ids from the first rank on (["o3","o1"]), or the L integers of
// [ballot.Choices] (option numbers, 0 for an empty rank). A ranking is
// checked here (no repeats, no skipped rank, the manifest's limits): the
// ballot's proofs cannot show it.
func (c *client) encrypt(credential string, choicesJSON []byte) (*Encrypted, error) {
	if c.election == nil {
		return nil, errNoElection
	}
	if len(c.attempts) >= maxPending {
		return nil, errTooMany
	}
	cred, err := ballot.ParseCredential(credential)
	if err != nil {
		return nil, err
	}
	if len(choicesJSON) > maxChoicesSize {
		return nil, fmt.Errorf("%w: choices of %d bytes", errBadInput, len(choicesJSON))
	}
	ch, err := c.decodeChoices(choicesJSON)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	b, o, err := ballot.Encrypt(c.election, cred, ch)
	if err != nil {
		return nil, err
	}
	payload, err := b.Encode()
	if err != nil {
		return nil, err
	}
	h, err := b.Hash()
	if err != nil {
		return nil, err
	}
	code, err := b.TrackingCode()
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	c.next++
	c.attempts[c.next] = &attempt{ballot: b, opening: o, payload: payload}
	return &Encrypted{
		Handle:       c.next,
		TrackingCode: string(code),
		BallotHash:   hex.EncodeToString(h[:]),
		Signer:       credentialInfo(cred).Signer,
		Millis:       float64(elapsed.Microseconds()) / 1000,
	}, nil
}

// decodeChoices decodes the page's choices: per contest an array of
// integers, or for a ranked contest an array of option ids (the ranking,
// turned into values by [ballot.Contest.Ranking]).
func (c *client) decodeChoices(data []byte) (ballot.Choices, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: choices: %v", errBadInput, err)
	}
	ch := make(ballot.Choices, len(raw))
	for id, v := range raw {
		var values []uint64
		if err := json.Unmarshal(v, &values); err == nil {
			ch[id] = values
			continue
		}
		var ids []string
		if err := json.Unmarshal(v, &ids); err != nil {
			return nil, fmt.Errorf("%w: choices of contest %q: neither integers nor a ranking of option ids", errBadInput, id)
		}
		ct := c.election.Manifest.Contest(id)
		if ct == nil {
			return nil, fmt.Errorf("%w: unknown contest %q", ballot.ErrInvalidChoices, id)
		}
		values, err := ct.Ranking(ids...)
		if err != nil {
			return nil, err
		}
		ch[id] = values
	}
	return ch, nil
}

// rankingsOf returns, for each ranked contest of ch, the option ids it
// ranks (for the page to show what a spoiled ballot opened to).
func rankingsOf(m *ballot.Manifest, ch ballot.Choices) (map[string][]string, error) {
	out := map[string][]string{}
	for i := range m.Contests {
		ct := &m.Contests[i]
		if ct.Kind != ballot.Ranked {
			continue
		}
		ids, err := ct.RankedOptions(ch[ct.ID])
		if err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []string{}
		}
		out[ct.ID] = ids
	}
	return out, nil
}

// Submission is a board submission the page POSTs to
// /v1/elections/{id}/entries: type, hex payload, hex signer, empty
// signature (e2e/SPEC.md §11.1, voter entries).
type Submission struct {
	Type      string `json:"type"`
	Payload   string `json:"payload"`
	Signer    string `json:"signer"`
	Signature string `json:"signature"`
}

// cast releases the ballot of a never-revealed encryption for casting and
// drops its opening for good: from now on it can never be checked. It may
// be called again for the same handle (a retry posts the same bytes, and
// the board answers a repeated submission with the first receipt).
func (c *client) cast(handle int) (*Submission, error) {
	a, ok := c.attempts[handle]
	if !ok {
		return nil, errUnknown
	}
	a.state = attemptCasting
	a.opening = nil
	return &Submission{
		Type:    "ballot",
		Payload: hex.EncodeToString(a.payload),
		Signer:  voterSigner(a.ballot.Credential),
	}, nil
}

// SpoiledResult is what spoil returns: the submission publishing the
// spoiled ballot, and the choices it opens to (verified).
type SpoiledResult struct {
	Submission   Submission          `json:"submission"`
	TrackingCode string              `json:"tracking_code"`
	Choices      map[string][]uint64 `json:"choices"`
	// Rankings names, for each ranked contest, the options of the opened
	// ranking from the first rank on.
	Rankings map[string][]string `json:"rankings"`
}

// spoil reveals an encryption for the Benaloh check (e2e/SPEC.md §7.9): it
// builds the spoiled ballot with the nonces, verifies it like anyone else
// would, and forgets the encryption, which can never be cast.
func (c *client) spoil(handle int) (*SpoiledResult, error) {
	a, ok := c.attempts[handle]
	if !ok {
		return nil, errUnknown
	}
	if a.state == attemptCasting {
		return nil, errCast
	}
	delete(c.attempts, handle)
	s, err := ballot.Spoil(a.ballot, a.opening)
	if err != nil {
		return nil, err
	}
	ch, err := ballot.VerifySpoiled(c.election, s)
	if err != nil {
		return nil, err
	}
	data, err := s.Encode()
	if err != nil {
		return nil, err
	}
	code, err := a.ballot.TrackingCode()
	if err != nil {
		return nil, err
	}
	rk, err := rankingsOf(c.election.Manifest, ch)
	if err != nil {
		return nil, err
	}
	return &SpoiledResult{
		Rankings: rk,
		Submission: Submission{
			Type:    "ballot.spoiled",
			Payload: hex.EncodeToString(data),
			Signer:  voterSigner(a.ballot.Credential),
		},
		TrackingCode: string(code),
		Choices:      ch,
	}, nil
}

// discard forgets an encryption (the voter changed their picks).
func (c *client) discard(handle int) { delete(c.attempts, handle) }

// OpenedSpoiled is what verifySpoiled returns.
type OpenedSpoiled struct {
	TrackingCode string              `json:"tracking_code"`
	Credential   string              `json:"credential"`
	Choices      map[string][]uint64 `json:"choices"`
	Rankings     map[string][]string `json:"rankings"`
}

// verifySpoiled checks a spoiled ballot (its canonical JSON, or an entry's
// hex payload) against the loaded election and returns what it encrypted.
func (c *client) verifySpoiled(data []byte) (*OpenedSpoiled, error) {
	if c.election == nil {
		return nil, errNoElection
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] != '{' {
		raw, err := hex.DecodeString(string(data))
		if err != nil {
			return nil, fmt.Errorf("%w: spoiled ballot is neither JSON nor hex", errBadInput)
		}
		data = raw
	}
	s, err := ballot.DecodeSpoiled(data)
	if err != nil {
		return nil, err
	}
	ch, err := ballot.VerifySpoiled(c.election, s)
	if err != nil {
		return nil, err
	}
	code, err := s.Ballot.TrackingCode()
	if err != nil {
		return nil, err
	}
	rk, err := rankingsOf(c.election.Manifest, ch)
	if err != nil {
		return nil, err
	}
	return &OpenedSpoiled{TrackingCode: string(code), Credential: s.Ballot.Credential.String(), Choices: ch, Rankings: rk}, nil
}

// trackingCodeOf returns the tracking code of a ballot payload (hex or
// JSON). It decodes strictly but does not verify proofs.
func trackingCodeOf(payload []byte) (string, error) {
	b, err := ballot.DecodeBallot(payload)
	if err != nil {
		return "", err
	}
	code, err := b.TrackingCode()
	return string(code), err
}

// ReceiptCheck is what checkReceipt returns: the verified facts.
type ReceiptCheck struct {
	Election     string `json:"election"`
	Index        uint64 `json:"index"`
	EntryHash    string `json:"entry_hash"`
	Size         uint64 `json:"size"`
	Root         string `json:"root"`
	LatestSize   uint64 `json:"latest_size"`
	LatestRoot   string `json:"latest_root"`
	Consistent   bool   `json:"consistent"`
	TrackingCode string `json:"tracking_code,omitempty"`
	EntryType    string `json:"entry_type,omitempty"`
}

// checkReceipt verifies a receipt (e2e/SPEC.md §8.6) with the board key:
// the checkpoint's signature and origin and the inclusion proof; then,
// given the latest checkpoint and the consistency proof from the receipt's
// size to it, that the latest tree extends the receipt's; then, given the
// entry at the receipt's index, that its hash is the receipt's and (for a
// ballot) its tracking code. latest, proofJSON and entryJSON may be empty
// to skip those steps.
func (c *client) checkReceipt(receiptJSON []byte, boardKey string, latest []byte, proofJSON []byte, entryJSON []byte) (*ReceiptCheck, error) {
	board := c.board
	if boardKey != "" {
		v, err := parseBoardKey(boardKey)
		if err != nil {
			return nil, err
		}
		board = v
	}
	if board == nil {
		return nil, fmt.Errorf("%w: no board key to check the receipt with", errBadInput)
	}
	r, err := parseReceipt(receiptJSON)
	if err != nil {
		return nil, err
	}
	cp, err := bulletin.VerifyReceipt(r, board)
	if err != nil {
		return nil, err
	}
	out := &ReceiptCheck{
		Election: r.Election, Index: r.Index, EntryHash: r.EntryHash.String(),
		Size: cp.Size, Root: hex.EncodeToString(cp.Root[:]),
	}
	if len(latest) > 0 {
		lcp, err := bulletin.OpenCheckpoint(latest, r.Election, board)
		if err != nil {
			return nil, fmt.Errorf("latest checkpoint: %w", err)
		}
		var proof []bulletin.Hash
		if len(proofJSON) > 0 {
			cpf, err := bulletin.ParseConsistencyProof(proofJSON)
			if err != nil {
				return nil, err
			}
			if cpf.Old != cp.Size || cpf.New != lcp.Size {
				return nil, fmt.Errorf("%w: consistency proof is for sizes %d→%d, want %d→%d", bulletin.ErrProof, cpf.Old, cpf.New, cp.Size, lcp.Size)
			}
			proof = cpf.Proof
		}
		if lcp.Size < cp.Size {
			return nil, fmt.Errorf("%w: the latest checkpoint (size %d) is older than the receipt's (size %d)", bulletin.ErrFork, lcp.Size, cp.Size)
		}
		if err := bulletin.VerifyConsistency(cp.Checkpoint, lcp.Checkpoint, proof); err != nil {
			return nil, err
		}
		out.LatestSize, out.LatestRoot, out.Consistent = lcp.Size, hex.EncodeToString(lcp.Root[:]), true
	}
	if len(entryJSON) > 0 {
		e, err := bulletin.ParseEntry(r.Election, bytes.TrimSpace(entryJSON))
		if err != nil {
			return nil, err
		}
		if e.Index != r.Index || e.Hash != r.EntryHash {
			return nil, fmt.Errorf("%w: entry %d on the board has hash %s, the receipt says entry %d has %s", errWrongReceipt, e.Index, e.Hash, r.Index, r.EntryHash)
		}
		out.EntryType = e.Type
		if e.Type == "ballot" {
			code, err := trackingCodeOf(e.Payload)
			if err != nil {
				return nil, fmt.Errorf("%w: entry %d: %w", errWrongBallot, e.Index, err)
			}
			out.TrackingCode = code
		}
	}
	return out, nil
}

// parseReceipt accepts a receipt as the service returns it, as the voter
// page saves it ({"receipt":…, "tracking_code":…}) or bare (e2e/SPEC.md
// §8.6). The receipt itself is re-encoded canonically and then decoded
// strictly; its proofs are what make it trustworthy, not its layout.
func parseReceipt(data []byte) (*bulletin.Receipt, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 2*bulletin.MaxReceiptJSON {
		return nil, fmt.Errorf("%w: receipt of %d bytes", errBadInput, len(data))
	}
	var wrapper struct {
		Receipt json.RawMessage `json:"receipt"`
	}
	if err := json.Unmarshal(data, &wrapper); err != nil {
		return nil, fmt.Errorf("%w: receipt is not JSON: %v", errBadInput, err)
	}
	if len(wrapper.Receipt) > 0 {
		data = wrapper.Receipt
	}
	var r bulletin.Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", errBadInput, err)
	}
	if r.Inclusion == nil {
		return nil, fmt.Errorf("%w: receipt has no inclusion proof", errBadInput)
	}
	return bulletin.ParseReceipt(bulletin.MarshalReceipt(&r))
}

// parseBoardKey parses the board's note verifier key (e2e/SPEC.md §8.4).
func parseBoardKey(k string) (note.Verifier, error) {
	if len(k) > maxBoardKeySize {
		return nil, fmt.Errorf("%w: board key of %d bytes", errBadInput, len(k))
	}
	v, err := note.NewVerifier(k)
	if err != nil {
		return nil, fmt.Errorf("%w: board key: %v", errBadInput, err)
	}
	return v, nil
}

func decodePoint(s string) (*group.Point, error) {
	b, err := decodeHexN(s, 32)
	if err != nil {
		return nil, err
	}
	return group.DecodeElement(b)
}

// voterSigner is the board signer of a voter's entries: 0x03 || X
// (e2e/SPEC.md §11.1), in hex.
func voterSigner(x *group.Point) string {
	pub := x.Bytes()
	return hex.EncodeToString(append([]byte{signerVoter}, pub[:]...))
}

func decodeHash32(s string) ([32]byte, error) {
	var h [32]byte
	b, err := decodeHexN(s, 32)
	if err != nil {
		return h, err
	}
	copy(h[:], b)
	return h, nil
}

// decodeHexN decodes exactly n bytes of lowercase hex.
func decodeHexN(s string, n int) ([]byte, error) {
	if len(s) != 2*n {
		return nil, fmt.Errorf("%w: %d hex characters, want %d", errBadInput, len(s), 2*n)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, fmt.Errorf("%w: not lowercase hex", errBadInput)
		}
	}
	return hex.DecodeString(s)
}

// sortedKeys is used to report choices in a stable order in tests.
func sortedKeys(m map[string][]uint64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// warmUp encrypts and discards one ballot of the loaded election with a
// throwaway credential, so that the browser's WebAssembly engine has
// compiled the hot code with its optimising tier before the voter's own
// encryption. It returns how long that took.
func (c *client) warmUp() (map[string]float64, error) {
	if c.election == nil {
		return nil, errNoElection
	}
	m := c.election.Manifest
	ch := ballot.Choices{}
	for i := range m.Contests {
		ct := &m.Contests[i]
		if ct.Kind == ballot.Ranked {
			// A full ranking: the proofs cost the same for any values.
			v := make([]uint64, ct.RankingLength())
			for j := range v {
				v[j] = uint64(j + 1)
			}
			ch[ct.ID] = v
			continue
		}
		lo, _ := ct.SumRange()
		limit := ct.SelectionLimit()
		v := make([]uint64, len(ct.Options))
		for j := range v {
			if lo == 0 {
				break
			}
			v[j] = min(limit, lo)
			lo -= v[j]
		}
		ch[ct.ID] = v
	}
	start := time.Now()
	if _, _, err := ballot.Encrypt(c.election, ballot.NewCredential(), ch); err != nil {
		return nil, err
	}
	return map[string]float64{"millis": float64(time.Since(start).Microseconds()) / 1000}, nil
}

// ReceiptFile is the voter's receipt file, the same canonical JSON that
// `tabella vote` saves and `tabella receipt check` reads: the receipt
// (e2e/SPEC.md §8.6), the ballot's tracking code and the board's key.
type ReceiptFile struct {
	Receipt      json.RawMessage `json:"receipt"`
	TrackingCode string          `json:"tracking_code"`
	BoardKey     string          `json:"board_key"`
}

// receiptFile builds the receipt file from the service's answer to the
// ballot submission, the tracking code the client computed itself and
// the board key. The receipt must verify with that key.
func (c *client) receiptFile(answer []byte, trackingCode, boardKey string) (map[string]string, error) {
	r, err := parseReceipt(answer)
	if err != nil {
		return nil, err
	}
	v, err := parseBoardKey(boardKey)
	if err != nil {
		return nil, err
	}
	if _, err := bulletin.VerifyReceipt(r, v); err != nil {
		return nil, err
	}
	code, err := ballot.ParseTrackingCode(trackingCode)
	if err != nil || string(code) != trackingCode {
		return nil, fmt.Errorf("%w: tracking code", errBadInput)
	}
	data, err := json.Marshal(ReceiptFile{Receipt: bulletin.MarshalReceipt(r), TrackingCode: trackingCode, BoardKey: boardKey})
	if err != nil {
		return nil, err
	}
	return map[string]string{"file": string(data)}, nil
}
