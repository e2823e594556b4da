package tray

import "strings"

// menuLabel is a title as dbusmenu shows it: an underscore there marks the
// next letter as the item's keyboard mnemonic (Q4_K_M would read "Q4KM"
// with K underlined), so every underscore is doubled to show as itself.
func menuLabel(title string) string { return strings.ReplaceAll(title, "_", "__") }
