package follow

import "github.com/tabella-vote/tabella/ballot/canon"

func jsonMarshal(v any) ([]byte, error) { return canon.Marshal(v) }
