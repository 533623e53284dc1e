package verify

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/mixnet/count"
	"github.com/tabella-vote/tabella/tally"
)

// A Check names one check of the verification procedure
// (e2e/SPEC.md §12). Every [Failure] carries the check that failed.
type Check = rules.Check

// The checks, as the rule book names them (see e2e/rules).
const (
	CheckFormat         = rules.CheckFormat
	CheckBoardKey       = rules.CheckBoardKey
	CheckEntry          = rules.CheckEntry
	CheckChain          = rules.CheckChain
	CheckCheckpoint     = rules.CheckCheckpoint
	CheckFork           = rules.CheckFork
	CheckRoot           = rules.CheckRoot
	CheckWitness        = rules.CheckWitness
	CheckLast           = rules.CheckLast
	CheckComplete       = rules.CheckComplete
	CheckDuplicate      = rules.CheckDuplicate
	CheckType           = rules.CheckType
	CheckSigner         = rules.CheckSigner
	CheckSignature      = rules.CheckSignature
	CheckOrder          = rules.CheckOrder
	CheckSetup          = rules.CheckSetup
	CheckManifest       = rules.CheckManifest
	CheckRoll           = rules.CheckRoll
	CheckRollSeal       = rules.CheckRollSeal
	CheckCeremonyParams = rules.CheckCeremonyParams
	CheckCeremonyMsg    = rules.CheckCeremonyMsg
	CheckQualified      = rules.CheckQualified
	CheckCeremonyResult = rules.CheckCeremonyResult
	CheckPhase          = rules.CheckPhase
	CheckBallotDecode   = rules.CheckBallotDecode
	CheckBallotRoll     = rules.CheckBallotRoll
	CheckBallotSigner   = rules.CheckBallotSigner
	CheckBallotSchedule = rules.CheckBallotSchedule
	CheckBallotSpoiled  = rules.CheckBallotSpoiled
	CheckBallotElection = rules.CheckBallotElection
	CheckBallotProof    = rules.CheckBallotProof
	CheckSpoiled        = rules.CheckSpoiled
	CheckShare          = rules.CheckShare
	CheckResult         = rules.CheckResult
	CheckMix            = rules.CheckMix
	CheckMixShare       = rules.CheckMixShare
	CheckMixResult      = rules.CheckMixResult
	CheckMixPending     = rules.CheckMixPending
)

// ErrInvalid is wrapped by every [Failure]: the record is not a valid
// election record.
var ErrInvalid = errors.New("verify: invalid election record")

// A Failure is one failed check. Entry is the index of the entry it is
// about, or −1 (a checkpoint, the file format, the end of the record);
// Line is the 1-based line of the record file (or item number of a live
// board) where it was found.
type Failure struct {
	Check   Check  `json:"check"`
	Entry   int64  `json:"entry"`
	Type    string `json:"type,omitempty"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	err     error
}

// Error formats the failure as "verify: entry N (type): check: message"
// (or "line N: …" for a failure about no entry).
func (f *Failure) Error() string {
	var b strings.Builder
	b.WriteString("verify: ")
	if f.Entry >= 0 {
		fmt.Fprintf(&b, "entry %d", f.Entry)
		if f.Type != "" {
			fmt.Fprintf(&b, " (%s)", f.Type)
		}
	} else {
		fmt.Fprintf(&b, "line %d", f.Line)
	}
	fmt.Fprintf(&b, ": %s: %s", f.Check, f.Message)
	return b.String()
}

// Unwrap returns [ErrInvalid] and the underlying error.
func (f *Failure) Unwrap() []error {
	if f.err == nil {
		return []error{ErrInvalid}
	}
	return []error{ErrInvalid, f.err}
}

// Counts says how many of each thing were checked.
type Counts struct {
	Entries          uint64 `json:"entries"`
	Checkpoints      uint64 `json:"checkpoints"`
	Cosignatures     uint64 `json:"cosignatures"`
	OfficialActions  uint64 `json:"official_actions"`
	BoardActions     uint64 `json:"board_actions"`
	RollCredentials  uint64 `json:"roll_credentials"`
	CeremonyMessages uint64 `json:"ceremony_messages"`
	CoefficientPoKs  uint64 `json:"coefficient_proofs"`
	Ballots          uint64 `json:"ballots"`
	BallotProofs     uint64 `json:"ballot_proofs"`
	Superseded       uint64 `json:"superseded_ballots"`
	Spoiled          uint64 `json:"spoiled_ballots"`
	Counted          uint64 `json:"counted_ballots"`
	ShareMessages    uint64 `json:"share_messages"`
	ShareProofs      uint64 `json:"share_proofs"`
	ResultPositions  uint64 `json:"result_counts"`
	Mixes            uint64 `json:"mixes"`
	MixedCiphertexts uint64 `json:"mixed_ciphertexts"`
	MixShareMessages uint64 `json:"mix_share_messages"`
	MixShareProofs   uint64 `json:"mix_share_proofs"`
	MixedRankings    uint64 `json:"mixed_rankings"`
}

// A MixLine is one verified mix of a ranked contest (e2e/SPEC.md §16.5):
// mix N of the M admitted mixes of the contest.
type MixLine struct {
	Contest string `json:"contest"`
	N       int    `json:"n"`
	M       int    `json:"m"`
	Mixer   int    `json:"mixer"`
	Entry   uint64 `json:"entry"`
}

// String formats the line as the report prints it.
func (l MixLine) String() string {
	return fmt.Sprintf("mix %d of %d: shuffle proof verified (contest %s, trustee %d, entry %d)", l.N, l.M, l.Contest, l.Mixer, l.Entry)
}

// Timings is where the time went. Read covers reading, parsing and hashing
// entries, the chain, the Merkle tree and checkpoints; Decode and Proofs
// the ballot decoding and the batched proof verification (wall time of
// those stages, which run in parallel with reading); Ceremony the replay;
// Tally the aggregate, the share proofs and the combination.
type Timings struct {
	Read     time.Duration `json:"read_ns"`
	Decode   time.Duration `json:"decode_ns"`
	Proofs   time.Duration `json:"proofs_ns"`
	Ceremony time.Duration `json:"ceremony_ns"`
	Tally    time.Duration `json:"tally_ns"`
	Total    time.Duration `json:"total_ns"`
}

// ReceiptResult is the outcome of checking one receipt against the record.
type ReceiptResult struct {
	Index   uint64 `json:"index"`
	Type    string `json:"type,omitempty"`
	OK      bool   `json:"ok"`
	Counted bool   `json:"counted"`
	// Tracking is the tracking code of a ballot entry.
	Tracking string `json:"tracking_code,omitempty"`
	Message  string `json:"message"`
}

// A Report is the outcome of verifying a record.
type Report struct {
	Election string `json:"election"`
	BoardKey string `json:"board_key"`
	// Valid is true when no check failed.
	Valid bool `json:"valid"`
	// Complete is true when the record holds the election's result.
	Complete bool    `json:"complete"`
	Counts   Counts  `json:"counts"`
	Timings  Timings `json:"timings"`
	// Result is the verified result, when the record has one.
	Result *tally.Result `json:"result,omitempty"`
	// Mixes lists every admitted (so verified) mix, contest by contest;
	// MixResults the verified plaintexts of the ranked contests.
	Mixes      []MixLine         `json:"mixes,omitempty"`
	MixResults []*cascade.Result `json:"mix_results,omitempty"`
	// Failures lists the failed checks ordered by their place in the
	// record; without Options.All only the first.
	Failures []*Failure `json:"failures"`
	// Notes lists what was ignored without making the record invalid:
	// ceremony messages §9.8 ignores, decryption shares §10.4 rejects that
	// the result does not use.
	Notes    []string        `json:"notes"`
	Receipts []ReceiptResult `json:"receipts,omitempty"`

	// Election is the election the ballots were verified against, once
	// the ceremony's outcome is known (for spoiled-ballot checks).
	BallotElection *ballot.Election `json:"-"`
	// SpoiledBallots maps the ballot hash of every spoiled ballot on the
	// board to its entry.
	SpoiledBallots map[[32]byte]uint64 `json:"-"`
}

// Err returns the first failure, or nil if the record is valid.
func (r *Report) Err() error {
	if len(r.Failures) == 0 {
		return nil
	}
	return r.Failures[0]
}

// onlyMixPending reports whether every failure is [CheckMixPending]: the
// record is not invalid, but its ranked contests have no verified count.
func (r *Report) onlyMixPending() bool {
	for _, f := range r.Failures {
		if f.Check != CheckMixPending {
			return false
		}
	}
	return len(r.Failures) > 0
}

// WriteText writes a readable summary of r.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	status := "VALID"
	if !r.Valid {
		status = "INVALID"
		if r.onlyMixPending() {
			status = "NOT VERIFIED: ranked contests awaiting the mix (everything else checked)"
		}
	} else if !r.Complete {
		status = "VALID so far (election in progress)"
	}
	fmt.Fprintf(&b, "Election %s: %s\n", r.Election, status)
	fmt.Fprintf(&b, "Board key %s\n\n", r.BoardKey)
	c := r.Counts
	rows := []struct {
		n    uint64
		what string
	}{
		{c.Entries, "entries: hash, chain, Merkle tree"},
		{c.Checkpoints, "checkpoints: board signature, origin, root, consistency"},
		{c.Cosignatures, "witness cosignatures"},
		{c.OfficialActions, "official actions: signature, order"},
		{c.BoardActions, "board actions: signature, recomputed"},
		{c.RollCredentials, "roll credentials: distinct, size and hash sealed"},
		{c.CeremonyMessages, "key ceremony messages replayed"},
		{c.CoefficientPoKs, "coefficient proofs of knowledge"},
		{c.Ballots, "ballots: credential on the roll, schedule, signature, proofs"},
		{c.BallotProofs, "ballot proofs (range proofs and signatures, batched)"},
		{c.Superseded, "ballots replaced by a later ballot of the same credential"},
		{c.Spoiled, "spoiled ballots opened and checked"},
		{c.Counted, "ballots counted (turnout)"},
		{c.ShareMessages, "decryption share messages"},
		{c.ShareProofs, "decryption share proofs"},
		{c.ResultPositions, "counts recomputed and compared"},
	}
	if c.Mixes > 0 || c.MixedRankings > 0 {
		rows = append(rows, []struct {
			n    uint64
			what string
		}{
			{c.Mixes, "mixes: turn, input list, shuffle proof"},
			{c.MixedCiphertexts, "ciphertexts shuffled and re-encrypted"},
			{c.MixShareMessages, "decryption share messages of mixed lists"},
			{c.MixShareProofs, "decryption share proofs of mixed ciphertexts"},
			{c.MixedRankings, "mixed rankings decrypted and compared"},
		}...)
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "  %10d  %s\n", row.n, row.what)
	}
	if len(r.Mixes) > 0 {
		b.WriteString("\n")
		for _, l := range r.Mixes {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	t := r.Timings
	fmt.Fprintf(&b, "\nTime %v (read and hash %v, decode %v, proofs %v, ceremony %v, tally %v)\n",
		t.Total.Round(time.Millisecond), t.Read.Round(time.Millisecond), t.Decode.Round(time.Millisecond),
		t.Proofs.Round(time.Millisecond), t.Ceremony.Round(time.Millisecond), t.Tally.Round(time.Millisecond))
	if c.Ballots > 0 && t.Total > 0 {
		fmt.Fprintf(&b, "     %.0f ballots/s\n", float64(c.Ballots)/t.Total.Seconds())
	}
	for _, rc := range r.Receipts {
		fmt.Fprintf(&b, "\nReceipt for entry %d: %s", rc.Index, rc.Message)
		if rc.Tracking != "" {
			fmt.Fprintf(&b, " (tracking code %s)", rc.Tracking)
		}
		b.WriteString("\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	if len(r.Failures) > 0 {
		b.WriteString("\nFailures:\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "  %s\n", f.Error())
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if r.Result != nil {
		io.WriteString(w, "\n")
		if err := r.Result.WriteTable(w); err != nil {
			return err
		}
	}
	return r.writeRanked(w)
}

// writeRanked writes the verified count of each ranked contest.
func (r *Report) writeRanked(w io.Writer) error {
	for _, mr := range r.MixResults {
		cr, err := count.Decode(mr.Count)
		if err != nil {
			continue // not a verified result: its failure is listed
		}
		var names []string
		if r.BallotElection != nil {
			if c := r.BallotElection.Manifest.Contest(mr.Contest); c != nil {
				for _, o := range c.Options {
					names = append(names, o.ID)
				}
			}
		}
		if _, err := fmt.Fprintf(w, "\nContest %s (ranked; mixed by trustees %v, skipped %v)\n%s", mr.Contest, mr.Mixers, mr.Skipped, cr.Table(names)); err != nil {
			return err
		}
	}
	return nil
}
