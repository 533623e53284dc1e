package count

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Decimals is the number of decimal places of STV vote values: a ballot's
// weight and every STV tally are whole multiples of 10⁻⁹ of a vote
// (e2e/SPEC.md §15.4).
const Decimals = 9

// unit is one vote in STV value units.
const unit int64 = 1_000_000_000

// Value is an exact non-negative decimal number of votes in canonical form
// (e2e/SPEC.md §15.7): the integer part without leading zeros, then, only if
// the fraction is not zero, "." and 1 to 9 fraction digits without trailing
// zeros: "0", "12", "12.5", "0.333333333". IRV values are always integers.
type Value string

// format returns the Value of u units, where scale units make one vote
// (1 for IRV, unit for STV).
func format(u, scale int64) Value {
	s := strconv.FormatInt(u/scale, 10)
	if f := u % scale; f != 0 {
		d := strconv.FormatInt(f+unit, 10)[1:] // 9 digits with leading zeros
		s += "." + strings.TrimRight(d, "0")
	}
	return Value(s)
}

// units parses v in units of 1/scale vote, rejecting any non-canonical form,
// more decimals than scale allows and values that overflow an int64.
func (v Value) units(scale int64) (int64, error) {
	s := string(v)
	ip, fp, hasFrac := strings.Cut(s, ".")
	if ip == "" || len(ip) > 19 || (len(ip) > 1 && ip[0] == '0') || !digits(ip) {
		return 0, fmt.Errorf("%w: value %q is not a canonical decimal", ErrEncoding, s)
	}
	n, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: value %q out of range", ErrEncoding, s)
	}
	var f int64
	if hasFrac {
		if scale != unit || fp == "" || len(fp) > Decimals || !digits(fp) || fp[len(fp)-1] == '0' {
			return 0, fmt.Errorf("%w: value %q is not a canonical decimal", ErrEncoding, s)
		}
		f, _ = strconv.ParseInt(fp+strings.Repeat("0", Decimals-len(fp)), 10, 64)
	}
	hi, lo := bits.Mul64(uint64(n), uint64(scale))
	if hi != 0 || lo+uint64(f) > 1<<63-1 || lo+uint64(f) < lo {
		return 0, fmt.Errorf("%w: value %q out of range", ErrEncoding, s)
	}
	return int64(lo + uint64(f)), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mulDiv returns ⌊a·b/c⌋ for 0 ≤ a, 0 ≤ b ≤ c, 0 < c, exactly (128-bit
// intermediate).
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}
