package main

import (
	"fmt"
	"time"

	"ketnoi/corpus"
)

func init() {
	register(&command{
		name:    "keys",
		summary: "tạo, liệt kê và thu hồi khóa API",
		usage:   "create --name TÊN --role staff|broker|admin | list [--json] | revoke MÃ",
		help: `
Mọi thao tác ghi qua API (tải lên, sửa, xóa, phản hồi, nhu cầu không công khai) cần một khóa API, gửi kèm
tiêu đề Authorization: Bearer KHÓA (hoặc X-API-Key: KHÓA). Mỗi khóa có một vai trò: staff (cán bộ),
broker (môi giới) hoặc admin (quản trị, có mọi quyền của staff và broker).

  ketnoi keys create --name "Phòng QLKH" --role staff
      tạo khóa mới và in khóa ra một lần duy nhất (chỉ bản băm được lưu, không xem lại được)
  ketnoi keys list
      liệt kê các khóa: mã, tên, vai trò, 4 ký tự cuối, lúc tạo, lúc thu hồi
  ketnoi keys revoke MÃ
      thu hồi khóa theo mã (hoặc ít nhất 4 ký tự đầu của mã)

Khóa được lưu trong tệp keys.json của thư mục dữ liệu, không phải trong kho, nên lệnh chạy được cả khi máy
chủ đang chạy; máy chủ nhận thay đổi trong vòng một giây.`,
		run: runKeys,
	})
}

func runKeys(e *env, args []string) error {
	r, err := parseRoleCommand(e, "keys", "tên khóa: người hoặc việc dùng khóa (cho create)", "create, list hoặc revoke", args)
	if err != nil {
		return err
	}
	k := corpus.OpenKeyring(e.data)
	ok, err := r.createOrList("create", "tên khóa đặt bằng --name",
		func(name, role string) error { return keysCreate(e, k, name, role) },
		func(asJSON bool) error { return keysList(e, k, asJSON) })
	if ok {
		return err
	}
	switch sub, rest := r.sub, r.rest; sub {
	case "revoke":
		if err := r.only(); err != nil {
			return err
		}
		if len(rest) != 1 {
			return usageError{"keys revoke cần đúng một mã khóa; xem ketnoi keys list"}
		}
		return keysRevoke(e, k, rest[0])
	default:
		return usageError{fmt.Sprintf("keys không có lệnh con %q; dùng create, list hoặc revoke", sub)}
	}
}

func keysCreate(e *env, k *corpus.Keyring, name, roleName string) error {
	role, err := nameAndRole("keys create", name, roleName, "người hoặc việc dùng khóa")
	if err != nil {
		return err
	}
	key, info, err := k.Create(name, role)
	if err != nil {
		return fmt.Errorf("tạo khóa API: %w", err)
	}
	// The key alone goes to stdout, so that a script can capture it; everything else to stderr.
	fmt.Fprintf(e.stderr, "Đã tạo khóa API %s cho %q, vai trò %s (%s).\n", info.ID, info.Name, info.Role, info.Role.Label())
	fmt.Fprintln(e.stdout, key)
	fmt.Fprint(e.stderr, `
CẢNH BÁO: hãy lưu khóa trên ngay vào nơi an toàn (trình quản lý mật khẩu). ketnoi chỉ lưu bản băm của khóa,
nên sẽ không bao giờ hiển thị lại được; mất khóa thì thu hồi và tạo khóa mới. Đừng gửi khóa qua thư điện tử
hay dán vào tài liệu chung. Dùng khóa: tiêu đề Authorization: Bearer KHÓA.
`)
	return nil
}

// keyJSON is one key in `ketnoi keys list --json`.
type keyJSON struct {
	ID      string      `json:"id"`
	Name    string      `json:"name"`
	Role    corpus.Role `json:"role"`
	Hint    string      `json:"hint"`
	Created time.Time   `json:"created_at"`
	Revoked *time.Time  `json:"revoked_at,omitempty"`
}

func keysList(e *env, k *corpus.Keyring, asJSON bool) error {
	keys, err := k.List()
	if err != nil {
		return err
	}
	items := make([]keyJSON, 0, len(keys))
	var rows []string
	active := 0
	for _, ki := range keys {
		j := keyJSON{ID: ki.ID, Name: ki.Name, Role: ki.Role, Hint: ki.Hint, Created: ki.Created}
		revoked := "—"
		if !ki.Active() {
			r := ki.Revoked
			j.Revoked = &r
			revoked = listTime(ki.Revoked)
		} else {
			active++
		}
		items = append(items, j)
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t…%s\t%s\t%s", ki.ID, ki.Name, ki.Role, ki.Hint, listTime(ki.Created), revoked))
	}
	return printList(e, asJSON, items, "Chưa có khóa API nào. Tạo khóa: ketnoi keys create --name TÊN --role staff",
		"MÃ\tTÊN\tVAI TRÒ\tĐUÔI\tTẠO LÚC\tTHU HỒI", rows, fmt.Sprintf("%d khóa, %d đang hiệu lực.", len(keys), active))
}

func keysRevoke(e *env, k *corpus.Keyring, id string) error {
	info, err := k.Revoke(id)
	if err != nil {
		return fmt.Errorf("thu hồi khóa API: %w", err)
	}
	fmt.Fprintf(e.stdout, "Đã thu hồi khóa %s (%q, vai trò %s). Máy chủ đang chạy sẽ từ chối khóa này trong vòng một giây.\n",
		info.ID, info.Name, info.Role)
	return nil
}
