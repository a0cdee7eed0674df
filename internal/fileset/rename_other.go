//go:build !linux

package fileset

func exchange(a, b string) error { return errNoExchange }

func renameNoReplace(a, b string) error { return renameIfAbsent(a, b) }
