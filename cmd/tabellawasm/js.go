//go:build js && wasm

package main

import (
	"encoding/json"
	"runtime/debug"
	"syscall/js"

	"github.com/tabella-vote/tabella/ballot"
)

// main registers globalThis.tabella and then blocks forever: the page calls
// the functions; the Go program must stay alive to serve them.
func main() {
	// The page's heap is small and short-lived; collecting less often
	// saves a noticeable share of an encryption's time on WebAssembly,
	// where the collector shares the one thread with the cryptography.
	debug.SetGCPercent(400)
	c := newClient()
	api := map[string]any{
		"loadElection": wrap(func(a []js.Value) (any, error) { return c.loadElection(arg(a, 0)) }),
		"checkCredential": wrap(func(a []js.Value) (any, error) {
			return c.checkCredential(string(arg(a, 0)))
		}),
		"encrypt": wrap(func(a []js.Value) (any, error) { return c.encrypt(string(arg(a, 0)), arg(a, 1)) }),
		"warmUp":  wrap(func(a []js.Value) (any, error) { return c.warmUp() }),
		"cast":    wrap(func(a []js.Value) (any, error) { return c.cast(intArg(a, 0)) }),
		"spoil":   wrap(func(a []js.Value) (any, error) { return c.spoil(intArg(a, 0)) }),
		"discard": wrap(func(a []js.Value) (any, error) { c.discard(intArg(a, 0)); return map[string]bool{"ok": true}, nil }),
		"verifySpoiled": wrap(func(a []js.Value) (any, error) {
			return c.verifySpoiled(arg(a, 0))
		}),
		"trackingCode": wrap(func(a []js.Value) (any, error) {
			code, err := trackingCodeOf(arg(a, 0))
			return map[string]string{"tracking_code": code}, err
		}),
		"parseTrackingCode": wrap(func(a []js.Value) (any, error) {
			code, err := ballot.ParseTrackingCode(string(arg(a, 0)))
			return map[string]string{"tracking_code": string(code)}, err
		}),
		"receiptFile": wrap(func(a []js.Value) (any, error) {
			return c.receiptFile(arg(a, 0), string(arg(a, 1)), string(arg(a, 2)))
		}),
		"checkReceipt": wrap(func(a []js.Value) (any, error) {
			return c.checkReceipt(arg(a, 0), string(arg(a, 1)), arg(a, 2), arg(a, 3), arg(a, 4))
		}),
		"observe": wrap(func(a []js.Value) (any, error) {
			return map[string]bool{"ok": true}, c.observe(string(arg(a, 0)), string(arg(a, 1)))
		}),
		"setupBegin": wrap(func(a []js.Value) (any, error) { return map[string]bool{"ok": true}, c.setupBegin() }),
		"setupPage":  wrap(func(a []js.Value) (any, error) { return c.setupPage(arg(a, 0)) }),
		"setupFinish": wrap(func(a []js.Value) (any, error) {
			return c.setupFinish(arg(a, 0), arg(a, 1))
		}),
		"observeFeed":       wrap(func(a []js.Value) (any, error) { return c.observeFeed(arg(a, 0)) }),
		"observeEntry":      wrap(func(a []js.Value) (any, error) { return c.observeEntry(arg(a, 0)) }),
		"observeCheckpoint": wrap(func(a []js.Value) (any, error) { return c.observeCheckpoint(arg(a, 0)) }),
		// The officials' console (admin.go).
		"officialOpen":   wrap(func(a []js.Value) (any, error) { return c.officialOpen(arg(a, 0), arg(a, 1)) }),
		"officialForget": wrap(func(a []js.Value) (any, error) { c.officialForget(); return map[string]bool{"ok": true}, nil }),
		"manifestCheck":  wrap(func(a []js.Value) (any, error) { return c.manifestCheck(arg(a, 0)) }),
		"trusteeParse":   wrap(func(a []js.Value) (any, error) { return c.trusteeParse(arg(a, 0)) }),
		"electionCreate": wrap(func(a []js.Value) (any, error) { return c.electionCreate(arg(a, 0)) }),
		"phaseEntry": wrap(func(a []js.Value) (any, error) {
			return c.phaseEntry(string(arg(a, 0)), string(arg(a, 1)))
		}),
		"rollBegin": wrap(func(a []js.Value) (any, error) {
			return map[string]bool{"ok": true}, c.rollBegin(arg(a, 0), arg(a, 1), intArg(a, 2))
		}),
		"rollStep":   wrap(func(a []js.Value) (any, error) { return c.rollStep(intArg(a, 0)) }),
		"rollFinish": wrap(func(a []js.Value) (any, error) { return c.rollFinish() }),
	}
	js.Global().Set("tabella", js.ValueOf(api))
	if ready := js.Global().Get("tabellaReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// wrap turns a Go function into a JS function that returns a JSON string:
// the result, or {"error": message, "code": code} (errors.go). It never throws: a panic (a bug) is
// reported as an error without its value, which could hold a secret.
func wrap(f func([]js.Value) (any, error)) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = errorJSON(errInternal)
			}
		}()
		v, err := f(args)
		if err != nil {
			return errorJSON(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return errorJSON(err)
		}
		return string(b)
	})
}

func errorJSON(err error) string {
	b, _ := json.Marshal(errorDoc(err))
	return string(b)
}

// arg returns argument i as bytes ("" if absent or not a string).
func arg(a []js.Value, i int) []byte {
	if i >= len(a) || a[i].Type() != js.TypeString {
		return nil
	}
	return []byte(a[i].String())
}

func intArg(a []js.Value, i int) int {
	if i >= len(a) || a[i].Type() != js.TypeNumber {
		return -1
	}
	return a[i].Int()
}
