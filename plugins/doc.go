// Package plugins will hold payment gateways and accounting exports, each
// registering itself with billing's registry in init. It has no code yet.
package plugins
