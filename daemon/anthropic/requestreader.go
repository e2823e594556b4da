package anthropic

import "encoding/json"

// The fast path of the request's own types (types.go), one function per
// type, each the counterpart of json.Unmarshal into it: see jsonReader.
// Their field names must match the types' json tags; the differential
// fuzz test checks they do.

var messagesRequestFields = []string{"model", "max_tokens", "system", "messages", "tools", "tool_choice",
	"temperature", "top_p", "top_k", "stop_sequences", "stream", "thinking", "output_config"}

func (d *jsonReader) messagesRequest(m *MessagesRequest) bool {
	return d.fields(messagesRequestFields, func(f int) bool {
		switch f {
		case 0:
			return d.str(&m.Model)
		case 1:
			return d.intPtr(&m.MaxTokens)
		case 2:
			return d.raw(&m.System)
		case 3:
			return d.rawArray(&m.Messages)
		case 4:
			return d.rawArray(&m.Tools)
		case 5:
			return decodeRaw(d, &m.ToolChoice)
		case 6:
			return d.floatPtr(&m.Temperature)
		case 7:
			return d.floatPtr(&m.TopP)
		case 8:
			return d.intPtr(&m.TopK)
		case 9:
			return d.strArray(&m.StopSequences)
		case 10:
			return d.boolean(&m.Stream)
		case 11:
			return decodeRaw(d, &m.Thinking)
		default:
			return decodeRaw(d, &m.OutputConfig)
		}
	})
}

var messageParamFields = []string{"role", "content"}

func (d *jsonReader) messageParam(m *MessageParam) bool {
	return d.fields(messageParamFields, func(f int) bool {
		if f == 0 {
			return d.str(&m.Role)
		}
		return d.raw(&m.Content)
	})
}

var requestBlockFields = []string{"type", "text", "source", "title", "id", "name", "input", "tool_use_id", "content", "is_error"}

func (d *jsonReader) requestBlock(b *RequestBlock) bool {
	return d.fields(requestBlockFields, func(f int) bool {
		switch f {
		case 0:
			return d.str(&b.Type)
		case 1:
			return d.str(&b.Text)
		case 2:
			if d.null() {
				b.Source = nil
				return true
			}
			b.Source = new(BlockSource)
			return d.blockSource(b.Source)
		case 3:
			return d.str(&b.Title)
		case 4:
			return d.str(&b.ID)
		case 5:
			return d.str(&b.Name)
		case 6:
			return d.raw(&b.Input)
		case 7:
			return d.str(&b.ToolUseID)
		case 8:
			return d.raw(&b.Content)
		default:
			return d.boolean(&b.IsError)
		}
	})
}

var blockSourceFields = []string{"type", "media_type", "data", "url", "content"}

func (d *jsonReader) blockSource(s *BlockSource) bool {
	return d.fields(blockSourceFields, func(f int) bool {
		switch f {
		case 0:
			return d.str(&s.Type)
		case 1:
			return d.str(&s.MediaType)
		case 2:
			return d.str(&s.Data)
		case 3:
			return d.str(&s.URL)
		default:
			return d.raw(&s.Content)
		}
	})
}

var toolParamFields = []string{"type", "name", "description", "input_schema"}

func (d *jsonReader) toolParam(t *ToolParam) bool {
	return d.fields(toolParamFields, func(f int) bool {
		switch f {
		case 0:
			return d.str(&t.Type)
		case 1:
			return d.str(&t.Name)
		case 2:
			return d.str(&t.Description)
		default:
			return d.raw(&t.InputSchema)
		}
	})
}

// readFast decodes raw into v on the fast path when v is one of the
// request's own types (trusted: raw is known to be valid JSON). False means v is another type, or raw needs
// encoding/json (for its value or its error); v is then left untouched,
// so encoding/json starts from the same zero value it always had.
func readFast(raw []byte, v any, trusted bool) bool {
	switch v := v.(type) {
	case *MessageParam:
		return readInto(raw, trusted, v, (*jsonReader).messageParam)
	case *RequestBlock:
		return readInto(raw, trusted, v, (*jsonReader).requestBlock)
	case *ToolParam:
		return readInto(raw, trusted, v, (*jsonReader).toolParam)
	case *MessagesRequest:
		return readInto(raw, trusted, v, (*jsonReader).messagesRequest)
	case *[]json.RawMessage:
		return readInto(raw, trusted, v, (*jsonReader).rawArray)
	case *string:
		return readInto(raw, trusted, v, (*jsonReader).str)
	}
	return false
}

// readInto reads all of raw with read into a fresh T and stores it in *v
// only if that succeeded.
func readInto[T any](raw []byte, trusted bool, v *T, read func(*jsonReader, *T) bool) bool {
	var t T
	if !whole(raw, trusted, func(d *jsonReader) bool { return read(d, &t) }) {
		return false
	}
	*v = t
	return true
}

// readFastArray decodes an array of T in one pass when T is one of the
// request's block types; false leaves *out untouched, as readFast does.
func readFastArray[T any](raw []byte, out *[]T, trusted bool) bool {
	switch out := any(out).(type) {
	case *[]RequestBlock:
		return readInto(raw, trusted, out, func(d *jsonReader, list *[]RequestBlock) bool {
			return readList(d, list, (*jsonReader).requestBlock)
		})
	}
	return false
}

// readList reads an array (not null) of values, each with read.
func readList[T any](d *jsonReader, out *[]T, read func(*jsonReader, *T) bool) bool {
	list := []T{}
	ok := d.elements(func() bool {
		list = append(list, *new(T))
		return read(d, &list[len(list)-1])
	})
	*out = list
	return ok
}
