// Package themes will hold the embedded default templates (panel pages,
// client area, e-mails, invoice layouts), overridable file by file from an
// operator directory. It has no code yet.
package themes
