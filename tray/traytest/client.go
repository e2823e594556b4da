package traytest

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// Names and interfaces of the StatusNotifierItem and dbusmenu protocols.
const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = "/StatusNotifierWatcher"
	itemIface    = "org.kde.StatusNotifierItem"
	dbusmenu     = "com.canonical.dbusmenu"
	propertiesIf = "org.freedesktop.DBus.Properties"
)

// Client plays the desktop panel on a session bus: trays register with it
// and it reads and clicks their menus.
type Client struct {
	conn *dbus.Conn

	mu         sync.Mutex
	registered chan struct{} // closed at the first registration
	service    string        // the registered item's bus name
	path       dbus.ObjectPath
}

// Connect joins the bus at address as its StatusNotifierWatcher. A tray
// that is already running registers as soon as the name is taken (trays
// watch for the watcher), one started later when it starts.
func Connect(address string) (*Client, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	c := &Client{conn: conn, registered: make(chan struct{})}
	if err := conn.Export(watcher{c}, watcherPath, watcherName); err != nil {
		conn.Close()
		return nil, fmt.Errorf("export the watcher: %w", err)
	}
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		return nil, fmt.Errorf("own %s (reply %v): %v", watcherName, reply, err)
	}
	return c, nil
}

// Close leaves the bus.
func (c *Client) Close() error { return c.conn.Close() }

// watcher is the one StatusNotifierWatcher method trays call.
type watcher struct{ c *Client }

// RegisterStatusNotifierItem records the tray that calls it. service is an
// object path on the caller's connection (what fyne.io/systray sends) or
// a bus name whose item lives at /StatusNotifierItem.
func (w watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	name, path := string(sender), dbus.ObjectPath("/StatusNotifierItem")
	if strings.HasPrefix(service, "/") {
		path = dbus.ObjectPath(service)
	} else if service != "" {
		name = service
	}
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.service, w.c.path = name, path
	select {
	case <-w.c.registered:
	default:
		close(w.c.registered)
	}
	return nil
}

// item waits for a tray to register and returns where it is.
func (c *Client) item(ctx context.Context) (string, dbus.ObjectPath, error) {
	select {
	case <-c.registered:
	case <-ctx.Done():
		return "", "", fmt.Errorf("no tray registered with the watcher: %w", ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.service, c.path, nil
}

// property reads one StatusNotifierItem property of the registered tray.
func (c *Client) property(ctx context.Context, name string) (dbus.Variant, error) {
	service, path, err := c.item(ctx)
	if err != nil {
		return dbus.Variant{}, err
	}
	var v dbus.Variant
	err = c.conn.Object(service, path).CallWithContext(ctx, propertiesIf+".Get", 0, itemIface, name).Store(&v)
	if err != nil {
		return dbus.Variant{}, fmt.Errorf("read %s of %s: %w", name, service, err)
	}
	return v, nil
}

// menu is the registered tray's dbusmenu object.
func (c *Client) menu(ctx context.Context) (dbus.BusObject, error) {
	service, _, err := c.item(ctx)
	if err != nil {
		return nil, err
	}
	v, err := c.property(ctx, "Menu")
	if err != nil {
		return nil, err
	}
	path, ok := v.Value().(dbus.ObjectPath)
	if !ok {
		return nil, fmt.Errorf("Menu property of %s is %s, not an object path", service, v.Signature())
	}
	return c.conn.Object(service, path), nil
}

// Item is one menu entry as the panel sees it.
type Item struct {
	ID int32
	// Label is the title as a panel shows it (dbusmenu mnemonics resolved).
	Label string
	// Checkable items are checkboxes; Checked says whether they are ticked.
	Checkable, Checked bool
	Enabled            bool
	Visible            bool
	Separator          bool
	// Submenu is set on an item that opens a submenu; Children are its
	// entries (or, for the root, the menu's).
	Submenu  bool
	Children []*Item
}

// Layout reads the whole menu tree. fyne.io/systray answers the first
// GetLayout after each rebuild one level deep (for libdbusmenu's sake), so
// a tree with an empty submenu is read again.
func (c *Client) Layout(ctx context.Context) (*Item, error) {
	obj, err := c.menu(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var revision uint32
		var raw struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		err := obj.CallWithContext(ctx, dbusmenu+".GetLayout", 0, int32(0), int32(-1), []string{}).Store(&revision, &raw)
		if err != nil {
			return nil, fmt.Errorf("GetLayout: %w", err)
		}
		root, err := decode(raw.ID, raw.Props, raw.Children)
		if err != nil {
			return nil, err
		}
		if !root.hasEmptySubmenu() || attempt == 4 {
			return root, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// decode turns one (id, properties, children) layout triple into an Item.
func decode(id int32, props map[string]dbus.Variant, children []dbus.Variant) (*Item, error) {
	it := &Item{ID: id, Enabled: true, Visible: true}
	for k, v := range props {
		switch k {
		case "label":
			raw, _ := v.Value().(string)
			it.Label = shownLabel(raw)
		case "enabled":
			it.Enabled, _ = v.Value().(bool)
		case "visible":
			it.Visible, _ = v.Value().(bool)
		case "type":
			it.Separator = v.Value() == "separator"
		case "toggle-type":
			it.Checkable = v.Value() == "checkmark" || v.Value() == "radio"
		case "toggle-state":
			n, _ := v.Value().(int32)
			it.Checked = n == 1
		case "children-display":
			it.Submenu = v.Value() == "submenu"
		}
	}
	for _, cv := range children {
		// Children arrive as variants of (ia{sv}av) structs, which godbus
		// hands over as []interface{}.
		fields, ok := cv.Value().([]interface{})
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("menu item %d: child of type %s, want (ia{sv}av)", id, cv.Signature())
		}
		cid, ok1 := fields[0].(int32)
		cprops, ok2 := fields[1].(map[string]dbus.Variant)
		cchildren, ok3 := fields[2].([]dbus.Variant)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("menu item %d: malformed child %v", id, fields)
		}
		child, err := decode(cid, cprops, cchildren)
		if err != nil {
			return nil, err
		}
		it.Children = append(it.Children, child)
	}
	return it, nil
}

func (it *Item) hasEmptySubmenu() bool {
	if it.Submenu && len(it.Children) == 0 {
		return true
	}
	for _, c := range it.Children {
		if c.hasEmptySubmenu() {
			return true
		}
	}
	return false
}

// Find follows a path of labels down from it and returns the item at its
// end, or nil. Each element matches the visible child whose label equals
// it or, failing that, the only one whose label starts with it and a
// space: "claude-sonnet-4-5" finds "claude-sonnet-4-5 → llama3.1:70b",
// "llama2:7b" finds "llama2:7b  (no tools)".
func (it *Item) Find(path ...string) *Item {
	cur := it
	for _, label := range path {
		var exact, prefixed []*Item
		for _, c := range cur.Children {
			switch {
			case !c.Visible || c.Separator:
			case c.Label == label:
				exact = append(exact, c)
			case strings.HasPrefix(c.Label, label+" "):
				prefixed = append(prefixed, c)
			}
		}
		switch {
		case len(exact) == 1:
			cur = exact[0]
		case len(exact) == 0 && len(prefixed) == 1:
			cur = prefixed[0]
		default:
			return nil
		}
	}
	return cur
}

// Labels lists the labels of it's visible children, separators left out.
func (it *Item) Labels() []string {
	var out []string
	for _, c := range it.Children {
		if c.Visible && !c.Separator {
			out = append(out, c.Label)
		}
	}
	return out
}

// String draws the tree one item a line, for failure messages.
func (it *Item) String() string {
	var b strings.Builder
	var walk func(*Item, string)
	walk = func(it *Item, indent string) {
		for _, c := range it.Children {
			line := c.Label
			switch {
			case c.Separator:
				line = "---"
			case c.Checkable && c.Checked:
				line = "[x] " + line
			case c.Checkable:
				line = "[ ] " + line
			}
			if !c.Enabled {
				line += " (disabled)"
			}
			fmt.Fprintf(&b, "%s%s\n", indent, line)
			walk(c, indent+"    ")
		}
	}
	walk(it, "")
	return b.String()
}

// ErrNotFound is returned by Click when the path names no item.
var ErrNotFound = errors.New("no such menu item")

// Click clicks the item at path (see Item.Find), as a user choosing it.
// Clicking a disabled item is an error, since a user cannot.
func (c *Client) Click(ctx context.Context, path ...string) error {
	root, err := c.Layout(ctx)
	if err != nil {
		return err
	}
	it := root.Find(path...)
	if it == nil {
		return fmt.Errorf("click %q: %w in\n%s", path, ErrNotFound, root)
	}
	if !it.Enabled {
		return fmt.Errorf("click %q: the item is disabled", path)
	}
	obj, err := c.menu(ctx)
	if err != nil {
		return err
	}
	call := obj.CallWithContext(ctx, dbusmenu+".Event", 0, it.ID, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix()))
	if call.Err != nil {
		return fmt.Errorf("click %q: %w", path, call.Err)
	}
	return nil
}

// WaitFor reads the menu until ok accepts it, and returns that menu. It
// polls, since the tray changes the menu in its own time; when ctx ends
// first, the error shows the last menu read and what was awaited.
func (c *Client) WaitFor(ctx context.Context, what string, ok func(root *Item) bool) (*Item, error) {
	var last *Item
	var lastErr error
	for {
		root, err := c.Layout(ctx)
		if err == nil && ok(root) {
			return root, nil
		}
		if err == nil {
			last = root
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return nil, fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), lastErr)
			}
			return nil, fmt.Errorf("waiting for %s: %w; the menu was:\n%s", what, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Title is the tray's Title property.
func (c *Client) Title(ctx context.Context) (string, error) {
	v, err := c.property(ctx, "Title")
	if err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}

// Tooltip is the title of the tray's ToolTip property, the text a panel
// shows on hover.
func (c *Client) Tooltip(ctx context.Context) (string, error) {
	v, err := c.property(ctx, "ToolTip")
	if err != nil {
		return "", err
	}
	var tip struct {
		Name  string
		Icons []struct {
			W, H int32
			Pix  []byte
		}
		Title, Text string
	}
	if err := dbus.Store([]interface{}{v.Value()}, &tip); err != nil {
		return "", fmt.Errorf("ToolTip of type %s: %w", v.Signature(), err)
	}
	return tip.Title, nil
}

// Icon is the tray's icon as the panel draws it: the largest image of its
// IconPixmap property (ARGB32, network byte order).
func (c *Client) Icon(ctx context.Context) (image.Image, error) {
	v, err := c.property(ctx, "IconPixmap")
	if err != nil {
		return nil, err
	}
	var pixmaps []struct {
		W, H int32
		Pix  []byte
	}
	if err := dbus.Store([]interface{}{v.Value()}, &pixmaps); err != nil {
		return nil, fmt.Errorf("IconPixmap of type %s: %w", v.Signature(), err)
	}
	best := -1
	for i, p := range pixmaps {
		if best < 0 || p.W*p.H > pixmaps[best].W*pixmaps[best].H {
			best = i
		}
	}
	if best < 0 || pixmaps[best].W <= 0 || len(pixmaps[best].Pix) != int(4*pixmaps[best].W*pixmaps[best].H) {
		return nil, fmt.Errorf("IconPixmap holds no usable image (%d pixmaps)", len(pixmaps))
	}
	p := pixmaps[best]
	img := image.NewNRGBA(image.Rect(0, 0, int(p.W), int(p.H)))
	for i := 0; i < int(p.W*p.H); i++ {
		a, r, g, b := p.Pix[4*i], p.Pix[4*i+1], p.Pix[4*i+2], p.Pix[4*i+3]
		img.SetNRGBA(i%int(p.W), i/int(p.W), color.NRGBA{r, g, b, a})
	}
	return img, nil
}

// shownLabel is a dbusmenu label as a panel shows it: a single underscore
// marks the next letter as the mnemonic and is not shown, a double one
// shows as one underscore.
func shownLabel(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '_' {
			if i+1 < len(raw) && raw[i+1] == '_' {
				b.WriteByte('_')
				i++
			}
			continue
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}
