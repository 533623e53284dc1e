package ballot

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// Version is the format label of manifests and ballots (e2e/SPEC.md §6, §7).
const Version = "tabella/v1"

// Bounds on manifests (e2e/SPEC.md §6.2).
const (
	MaxContests       = 64      // contests per manifest
	MaxOptions        = 64      // options per contest
	MaxRankedOptions  = 50      // options per ranked contest
	MaxIDLength       = 64      // bytes of an election, contest or option id
	MaxTitleLength    = 256     // bytes of a title (UTF-8)
	MaxTitleLanguages = 16      // entries of one titles map
	MaxManifestSize   = 8 << 20 // bytes of an encoded manifest
	MaxBallotBranches = 16384   // total range-proof branches of one ballot
)

// TimeLayout is the only accepted form of the schedule's instants: RFC 3339
// in UTC, whole seconds, with a "Z" suffix.
const TimeLayout = "2006-01-02T15:04:05Z"

// A Kind is the kind of a contest (e2e/SPEC.md §6.1).
type Kind string

// The contest kinds.
const (
	// OneOfN: choose at most one option (exactly one if min_selections is 1).
	OneOfN Kind = "one_of_n"
	// Approval: choose between min_selections and max_selections options.
	Approval Kind = "approval"
	// Score: give each option a score in 0..max_score; the total is bounded
	// by min_total and max_total.
	Score Kind = "score"
	// Ranked: rank up to max_selections options (the ranking length L).
	// Each rank is encrypted as the 1-based number of the option at that
	// rank, 0 for none; the ballots are counted by the mixnet with the
	// contest's [Method], not homomorphically (e2e/SPEC.md §6.1, §7.3).
	Ranked Kind = "ranked"
)

// A Method is how a ranked contest is counted (e2e/SPEC.md §6.1).
type Method string

// The counting methods of ranked contests.
const (
	// IRV: instant-runoff voting, one seat.
	IRV Method = "irv"
	// STV: single transferable vote, [Contest.Seats] seats.
	STV Method = "stv"
	// Schulze: the Schulze (beatpath) method, one winner.
	Schulze Method = "schulze"
)

// A Manifest describes an election: what is asked and when (e2e/SPEC.md §6.1).
// Decode one with [DecodeManifest]; check a hand-built one with
// [Manifest.Validate].
type Manifest struct {
	Version    string    `json:"version"`
	ElectionID string    `json:"election_id"`
	Title      string    `json:"title"`
	Titles     Titles    `json:"titles,omitempty"`
	Schedule   Schedule  `json:"schedule"`
	Contests   []Contest `json:"contests"`
}

// A Schedule says when ballots are accepted: from Opens (inclusive) to Closes
// (exclusive), both in [TimeLayout].
type Schedule struct {
	Opens  string `json:"opens"`
	Closes string `json:"closes"`
}

// A Contest is one question of the election. Which limit fields apply depends
// on Kind; fields that do not apply must be zero (and are then omitted from
// the JSON encoding).
type Contest struct {
	ID            string   `json:"id"`
	Title         string   `json:"title"`
	Titles        Titles   `json:"titles,omitempty"`
	Kind          Kind     `json:"kind"`
	Options       []Option `json:"options"`
	MinSelections uint64   `json:"min_selections,omitempty"`
	MaxSelections uint64   `json:"max_selections,omitempty"`
	MaxScore      uint64   `json:"max_score,omitempty"`
	MinTotal      uint64   `json:"min_total,omitempty"`
	MaxTotal      uint64   `json:"max_total,omitempty"`
	// Method and Seats apply only to ranked contests: the counting method,
	// and for [STV] the number of seats (1 ≤ seats < options).
	Method Method `json:"method,omitempty"`
	Seats  uint64 `json:"seats,omitempty"`
}

// An Option is one choice of a contest.
type Option struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Titles Titles `json:"titles,omitempty"`
}

// Titles are the localised titles of an election, contest or option
// (e2e/SPEC.md §6.1): a language tag (an ISO 639 primary language
// subtag of BCP 47, two or three lowercase ASCII letters) to the title in
// that language, at most [MaxTitleLanguages] entries. The canonical
// encoding lists the tags in byte order (what encoding/json does with a
// map); an empty map is omitted, so a manifest without localised titles
// encodes, and hashes, exactly as before they existed.
type Titles map[string]string

// In returns the title in language lang (a tag such as "fr"), or def when
// t has none for it.
func (t Titles) In(lang, def string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	return def
}

// TitleIn returns the election's title in language lang, falling back to
// its default title.
func (m *Manifest) TitleIn(lang string) string { return m.Titles.In(lang, m.Title) }

// TitleIn returns the contest's title in language lang, falling back to
// its default title.
func (c *Contest) TitleIn(lang string) string { return c.Titles.In(lang, c.Title) }

// TitleIn returns the option's title in language lang, falling back to
// its default title.
func (o *Option) TitleIn(lang string) string { return o.Titles.In(lang, o.Title) }

// DecodeManifest decodes and validates a manifest. data must be the canonical
// encoding (e2e/SPEC.md §1.1) and at most [MaxManifestSize] bytes.
func DecodeManifest(data []byte) (*Manifest, error) {
	m := new(Manifest)
	if err := canon.Unmarshal(data, m, MaxManifestSize); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidManifest, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Encode returns the canonical encoding of m. It does not validate m.
func (m *Manifest) Encode() ([]byte, error) {
	b, err := canon.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("ballot: encoding manifest: %w", err)
	}
	return b, nil
}

// Hash returns the manifest hash (e2e/SPEC.md §6.3):
// taggedHash("tabella/v1 manifest", canonical encoding of m).
// m must be valid.
func (m *Manifest) Hash() ([32]byte, error) {
	b, err := m.Encode()
	if err != nil {
		return [32]byte{}, err
	}
	return taggedHash(tagManifest, b), nil
}

// Opens returns the instant the election opens. m must be valid.
func (m *Manifest) Opens() time.Time { t, _ := time.Parse(TimeLayout, m.Schedule.Opens); return t }

// Closes returns the instant the election closes. m must be valid.
func (m *Manifest) Closes() time.Time { t, _ := time.Parse(TimeLayout, m.Schedule.Closes); return t }

// Contest returns the contest with the given id, or nil.
func (m *Manifest) Contest(id string) *Contest {
	for i := range m.Contests {
		if m.Contests[i].ID == id {
			return &m.Contests[i]
		}
	}
	return nil
}

// SelectionLimit returns the largest value one selection of c may encrypt:
// max_score for score contests, 1 for one_of_n and approval, and for a
// ranked contest the number of options (a rank encrypts 0..n: none, or the
// 1-based number of an option).
func (c *Contest) SelectionLimit() uint64 {
	switch c.Kind {
	case Score:
		return c.MaxScore
	case Ranked:
		return uint64(len(c.Options))
	}
	return 1
}

// RankingLength returns L, the number of ranks of a ranked contest (its
// max_selections), or 0 for any other kind.
func (c *Contest) RankingLength() int {
	if c.Kind != Ranked {
		return 0
	}
	return int(c.MaxSelections)
}

// SumRange returns the range [lo, hi] the sum of c's selections must lie in:
// [min_selections, max_selections] for one_of_n and approval, [min_total,
// max_total] for score, where an absent max_total means
// len(options)·max_score. A ranked contest has no sum proof; for it
// SumRange returns [min_selections, max_selections], the number of options
// a voter's client lets them rank.
func (c *Contest) SumRange() (lo, hi uint64) {
	if c.Kind == Score {
		hi = c.MaxTotal
		if hi == 0 {
			hi = uint64(len(c.Options)) * c.MaxScore
		}
		return c.MinTotal, hi
	}
	return c.MinSelections, c.MaxSelections
}

// branches is the number of range-proof branches c contributes to a ballot.
func (c *Contest) branches() int {
	if c.Kind == Ranked {
		return c.RankingLength() * (len(c.Options) + 1)
	}
	lo, hi := c.SumRange()
	return len(c.Options)*int(c.SelectionLimit()+1) + int(hi-lo+1)
}

func manifestErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidManifest}, args...)...)
}

// Validate checks m against the rules of e2e/SPEC.md §6.2. The error names
// the contest or option at fault and the rule it breaks.
func (m *Manifest) Validate() error {
	if m.Version != Version {
		return manifestErr("version %q, want %q", m.Version, Version)
	}
	if err := checkID(m.ElectionID); err != nil {
		return manifestErr("election_id: %v", err)
	}
	if err := checkTitle(m.Title); err != nil {
		return manifestErr("title: %v", err)
	}
	if err := checkTitles(m.Titles); err != nil {
		return manifestErr("titles: %v", err)
	}
	opens, err := parseTime(m.Schedule.Opens)
	if err != nil {
		return manifestErr("schedule.opens: %v", err)
	}
	closes, err := parseTime(m.Schedule.Closes)
	if err != nil {
		return manifestErr("schedule.closes: %v", err)
	}
	if !opens.Before(closes) {
		return manifestErr("schedule: opens %s is not before closes %s", m.Schedule.Opens, m.Schedule.Closes)
	}
	if len(m.Contests) == 0 {
		return manifestErr("no contests")
	}
	if len(m.Contests) > MaxContests {
		return manifestErr("%d contests, at most %d", len(m.Contests), MaxContests)
	}
	seen := make(map[string]bool, len(m.Contests))
	branches := 0
	for i := range m.Contests {
		c := &m.Contests[i]
		if err := c.validate(); err != nil {
			return manifestErr("contest %d (%q): %v", i, c.ID, err)
		}
		if seen[c.ID] {
			return manifestErr("contest %d: duplicate contest id %q", i, c.ID)
		}
		seen[c.ID] = true
		branches += c.branches()
	}
	if branches > MaxBallotBranches {
		return manifestErr("ballot would need %d range-proof branches, at most %d", branches, MaxBallotBranches)
	}
	return nil
}

func (c *Contest) validate() error {
	if err := checkID(c.ID); err != nil {
		return fmt.Errorf("id: %v", err)
	}
	if err := checkTitle(c.Title); err != nil {
		return fmt.Errorf("title: %v", err)
	}
	if err := checkTitles(c.Titles); err != nil {
		return fmt.Errorf("titles: %v", err)
	}
	n := uint64(len(c.Options))
	if n == 0 {
		return fmt.Errorf("no options")
	}
	if n > MaxOptions {
		return fmt.Errorf("%d options, at most %d", n, MaxOptions)
	}
	seen := make(map[string]bool, n)
	for j, o := range c.Options {
		if err := checkID(o.ID); err != nil {
			return fmt.Errorf("option %d: id: %v", j, err)
		}
		if err := checkTitle(o.Title); err != nil {
			return fmt.Errorf("option %d (%q): title: %v", j, o.ID, err)
		}
		if err := checkTitles(o.Titles); err != nil {
			return fmt.Errorf("option %d (%q): titles: %v", j, o.ID, err)
		}
		if seen[o.ID] {
			return fmt.Errorf("option %d: duplicate option id %q", j, o.ID)
		}
		seen[o.ID] = true
	}
	noScore := func() error {
		if c.MaxScore != 0 || c.MinTotal != 0 || c.MaxTotal != 0 {
			return fmt.Errorf("max_score, min_total and max_total apply only to score contests")
		}
		return nil
	}
	if c.Kind != Ranked && (c.Method != "" || c.Seats != 0) {
		return fmt.Errorf("%s: method and seats apply only to ranked contests", c.Kind)
	}
	switch c.Kind {
	case OneOfN:
		if n < 2 {
			return fmt.Errorf("one_of_n needs at least 2 options, has %d", n)
		}
		if c.MaxSelections != 1 {
			return fmt.Errorf("one_of_n: max_selections is %d, must be 1", c.MaxSelections)
		}
		if c.MinSelections > 1 {
			return fmt.Errorf("one_of_n: min_selections is %d, must be 0 or 1", c.MinSelections)
		}
		return noScore()
	case Ranked:
		return c.validateRanked()
	case Approval:
		if c.MaxSelections == 0 {
			return fmt.Errorf("%s: max_selections must be at least 1", c.Kind)
		}
		if c.MinSelections > c.MaxSelections {
			return fmt.Errorf("%s: min_selections %d > max_selections %d", c.Kind, c.MinSelections, c.MaxSelections)
		}
		if c.MaxSelections > n {
			return fmt.Errorf("%s: max_selections %d > number of options %d", c.Kind, c.MaxSelections, n)
		}
		return noScore()
	case Score:
		if c.MinSelections != 0 || c.MaxSelections != 0 {
			return fmt.Errorf("score: min_selections and max_selections do not apply (use min_total, max_total)")
		}
		if c.MaxScore == 0 {
			return fmt.Errorf("score: max_score must be at least 1")
		}
		if c.MaxScore > zk.MaxRangeWidth-1 {
			return fmt.Errorf("score: max_score %d, at most %d", c.MaxScore, zk.MaxRangeWidth-1)
		}
		full := n * c.MaxScore
		if c.MaxTotal > full {
			return fmt.Errorf("score: max_total %d > options × max_score = %d", c.MaxTotal, full)
		}
		lo, hi := c.SumRange()
		if lo > hi {
			return fmt.Errorf("score: min_total %d > max_total %d", lo, hi)
		}
		if hi-lo+1 > zk.MaxRangeWidth {
			return fmt.Errorf("score: total range [%d, %d] is wider than %d values", lo, hi, zk.MaxRangeWidth)
		}
		return nil
	default:
		return fmt.Errorf("unknown kind %q", c.Kind)
	}
}

// validateRanked checks the rules of a ranked contest (e2e/SPEC.md §6.1).
func (c *Contest) validateRanked() error {
	n := uint64(len(c.Options))
	if n < 2 || n > MaxRankedOptions {
		return fmt.Errorf("ranked: options: %d options, want 2..%d", n, MaxRankedOptions)
	}
	switch c.Method {
	case IRV, Schulze:
		if c.Seats != 0 {
			return fmt.Errorf("ranked: seats: %d, but seats apply only to method %q (method is %q)", c.Seats, STV, c.Method)
		}
	case STV:
		if c.Seats < 1 || c.Seats >= n {
			return fmt.Errorf("ranked: seats: %d, want 1 ≤ seats < options (%d) for method %q", c.Seats, n, STV)
		}
	case "":
		return fmt.Errorf("ranked: method: missing, want %q, %q or %q", IRV, STV, Schulze)
	default:
		return fmt.Errorf("ranked: method: unknown method %q, want %q, %q or %q", c.Method, IRV, STV, Schulze)
	}
	if c.MaxSelections < 1 || c.MaxSelections > n {
		return fmt.Errorf("ranked: max_selections (ranking length): %d, want 1..%d (the number of options)", c.MaxSelections, n)
	}
	if c.MinSelections > c.MaxSelections {
		return fmt.Errorf("ranked: min_selections %d > max_selections %d", c.MinSelections, c.MaxSelections)
	}
	if c.MaxScore != 0 || c.MinTotal != 0 || c.MaxTotal != 0 {
		return fmt.Errorf("ranked: max_score, min_total and max_total apply only to score contests")
	}
	return nil
}

// checkID enforces [a-z0-9][a-z0-9-]{0,63}.
func checkID(s string) error {
	if len(s) == 0 || len(s) > MaxIDLength {
		return fmt.Errorf("length %d, want 1..%d", len(s), MaxIDLength)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && i > 0
		if !ok {
			return fmt.Errorf("%q: must match [a-z0-9][a-z0-9-]*", s)
		}
	}
	return nil
}

// checkTitle requires 1..MaxTitleLength bytes of valid UTF-8 without control
// characters.
func checkTitle(s string) error {
	if len(s) == 0 || len(s) > MaxTitleLength {
		return fmt.Errorf("length %d bytes, want 1..%d", len(s), MaxTitleLength)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// checkTitles checks a titles map: at most MaxTitleLanguages entries, each
// tag two or three lowercase ASCII letters, each value a title. A nil map
// is valid (no localised titles); an empty non-nil one is not, since it
// would encode differently from the absent field it means.
func checkTitles(t Titles) error {
	if t == nil {
		return nil
	}
	if len(t) == 0 {
		return fmt.Errorf("empty (omit the field instead)")
	}
	if len(t) > MaxTitleLanguages {
		return fmt.Errorf("%d languages, at most %d", len(t), MaxTitleLanguages)
	}
	for _, tag := range slices.Sorted(maps.Keys(t)) {
		if err := checkLanguageTag(tag); err != nil {
			return err
		}
		if err := checkTitle(t[tag]); err != nil {
			return fmt.Errorf("%s: %v", tag, err)
		}
	}
	return nil
}

// checkLanguageTag enforces [a-z]{2,3}: an ISO 639 primary language subtag
// of BCP 47, lowercase, without region or script.
func checkLanguageTag(tag string) error {
	if len(tag) < 2 || len(tag) > 3 {
		return fmt.Errorf("language tag %q: want 2 or 3 lowercase letters", tag)
	}
	for i := 0; i < len(tag); i++ {
		if tag[i] < 'a' || tag[i] > 'z' {
			return fmt.Errorf("language tag %q: want 2 or 3 lowercase letters", tag)
		}
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil || t.Format(TimeLayout) != s {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 UTC of the form %s", s, TimeLayout)
	}
	return t, nil
}

// An Election is everything ballots are encrypted and verified against: the
// manifest, its hash, the joint public key and the base hash (e2e/SPEC.md
// §6.3). Build one with [NewElection]; do not modify it afterwards. JointKey
// carries a precomputed table ([group.NewFixedBase]) so that encryption
// multiplies it quickly; an Election is safe for concurrent use.
type Election struct {
	Manifest     *Manifest
	ManifestHash [32]byte
	JointKey     *group.Point
	CeremonyHash [32]byte
	BaseHash     [32]byte

	// size is BallotSize, computed once by NewElection (sized says so).
	size  int
	sized bool
}

// NewElection validates m and the joint key and computes the hashes.
func NewElection(m *Manifest, jointKey *group.Point, ceremonyHash [32]byte) (*Election, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if jointKey == nil || jointKey.IsIdentity() {
		return nil, fmt.Errorf("ballot: joint key: %w", group.ErrIdentity)
	}
	mh, err := m.Hash()
	if err != nil {
		return nil, err
	}
	e := &Election{
		Manifest:     m,
		ManifestHash: mh,
		JointKey:     group.NewFixedBase(jointKey).Point(),
		CeremonyHash: ceremonyHash,
		BaseHash:     BaseHash(mh, jointKey, ceremonyHash),
	}
	e.size, e.sized = e.ballotSize(), true
	return e, nil
}
