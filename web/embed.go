// Package web holds the browser-side files miniauth serves, embedded into
// the binary: the admin console (plain ES modules and CSS, no build step).
package web

import (
	"embed"
	"io/fs"
)

//go:embed console
var files embed.FS

// Console is the admin console's files, index.html at the root.
func Console() fs.FS {
	sub, err := fs.Sub(files, "console")
	if err != nil {
		panic("web: console files missing: " + err.Error())
	}
	return sub
}
