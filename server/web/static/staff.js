// Staff page additions: drag and drop, per-file upload progress, and a job table that refreshes itself
// while jobs are pending. Every page works without this script; it only builds on the plain forms, and
// it calls the same JSON API as other clients, with the session cookie and the page's CSRF token.
(function () {
  'use strict';

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var jobsSection = document.getElementById('cong-viec');
  if (!jobsSection) {
    return; // sign-in and edit pages: nothing to add
  }
  var labels = JSON.parse(jobsSection.getAttribute('data-labels') || '{}');
  var states = labels.states || {};
  var reasons = labels.reasons || {};
  var tbody = document.getElementById('bang-cong-viec');
  var failures = document.getElementById('ds-that-bai');
  var status = document.getElementById('trang-thai');
  var refreshEvery = 2000;
  var timer = null;

  // el makes an element; children are nodes or strings (always text, never markup).
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined && c !== '') {
        e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
      }
    });
    return e;
  }

  // formatSize matches the server's formatSize (staff.go).
  function formatSize(n) {
    if (n >= 1048576) { return (n / 1048576).toFixed(1).replace('.', ',') + ' MB'; }
    if (n >= 1024) { return Math.round(n / 1024) + ' KB'; }
    return n + ' B';
  }

  function reasonOf(j) {
    var r = j.outcome && j.outcome.reason;
    return r ? (reasons[r] || r) : '';
  }

  // messageOf is the job's error without the reason's label, which the extractor's message starts with
  // (as rowOf in staff.go does).
  function messageOf(j) {
    var msg = j.error || (j.outcome && j.outcome.message) || '';
    var reason = reasonOf(j);
    if (reason) {
      if (msg === reason) { return ''; }
      if (msg.indexOf(reason + ': ') === 0) { return msg.slice(reason.length + 2); }
    }
    return msg;
  }

  // row renders a job as the server's "jobrow" template does (staff.html).
  function row(j) {
    var o = j.outcome || {};
    var outcome = [];
    if (o.deleted) {
      outcome.push(el('span', { 'class': 'deleted' }, ['Không đưa lại: tài liệu ' + o.doc_id +
        ' đã bị xoá. Muốn khôi phục, tải tệp lên lại và đánh dấu ô “Khôi phục tài liệu đã bị xoá”.']));
    } else if (j.state === 'done' && o.doc_id) {
      var id = encodeURIComponent(o.doc_id);
      outcome.push(el('a', { href: '/ket-qua/' + id }, [o.doc_id]));
      if (o.pages) { outcome.push(' · ' + o.pages + ' trang'); }
      if (o.rungs) {
        outcome.push(' · cách đọc: ' + Object.keys(o.rungs).sort().map(function (k) { return k + ' ' + o.rungs[k]; }).join(', '));
      }
      if (o.needs_ocr) { outcome.push(' · ', el('span', { 'class': 'ocr' }, ['cần OCR'])); }
      outcome.push(' · ', el('a', { 'class': 'edit', href: '/can-bo/sua/' + id }, ['Sửa thông tin']));
    }
    (o.warnings || []).forEach(function (w) { outcome.push(el('small', { 'class': 'warn' }, [w])); });
    var reason = reasonOf(j), msg = o.deleted ? '' : messageOf(j);
    var err = [];
    if (reason) { err.push(el('strong', {}, [reason])); if (msg) { err.push(': '); } }
    err.push(msg);
    var tr = el('tr', { 'data-job': j.id, 'data-state': j.state }, [
      el('td', { 'data-label': 'Tệp', 'class': 'name' }, [j.name]),
      el('td', { 'data-label': 'Kích thước' }, [formatSize(j.size)]),
      el('td', { 'data-label': 'Trạng thái', 'class': 'state state-' + j.state }, [states[j.state] || j.state]),
      el('td', { 'data-label': 'Kết quả', 'class': 'outcome' }, outcome),
      el('td', { 'data-label': 'Lỗi', 'class': 'error' }, err)
    ]);
    return tr;
  }

  function failure(j) {
    var reason = reasonOf(j), msg = messageOf(j);
    var form = el('form', { method: 'post', action: '/can-bo/thu-lai/' + encodeURIComponent(j.id), 'class': 'inline' }, [
      el('input', { type: 'hidden', name: 'csrf', value: csrf }),
      el('button', { type: 'submit' }, ['Thử lại'])
    ]);
    return el('li', { 'data-job': j.id }, [el('strong', { 'class': 'name' }, [j.name]), ': ' + reason + (reason && msg ? ' – ' : '') + msg + ' ', form]);
  }

  function render(data) {
    var jobs = data.jobs || [];
    tbody.textContent = '';
    failures.textContent = '';
    jobs.forEach(function (j) { tbody.appendChild(row(j)); });
    if (!jobs.length) {
      tbody.appendChild(el('tr', { 'class': 'empty' }, [el('td', { colspan: '5' }, ['Chưa có công việc nào.'])]));
    }
    var failed = jobs.filter(function (j) { return j.state === 'failed'; });
    failed.forEach(function (j) { failures.appendChild(failure(j)); });
    if (!failed.length) {
      failures.appendChild(el('li', { 'class': 'empty' }, ['Không có tệp lỗi.']));
    }
    status.textContent = data.pending ? data.pending + ' tệp đang chờ hoặc đang xử lý; bảng tự cập nhật mỗi 2 giây.' : '';
  }

  function signedOut() {
    status.textContent = '';
    status.appendChild(document.createTextNode('Phiên đăng nhập đã hết hạn. '));
    status.appendChild(el('a', { href: '/can-bo/dang-nhap?tiep=%2Fcan-bo' }, ['Đăng nhập lại']));
  }

  function refresh() {
    fetch('/api/v1/jobs', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 401) { signedOut(); return null; }
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (data) {
        if (!data) { return; }
        render(data);
        if (data.pending) { schedule(); }
      })
      .catch(function () {
        status.textContent = 'Không lấy được danh sách công việc; sẽ thử lại.';
        schedule();
      });
  }

  function schedule() {
    if (timer === null) {
      timer = setTimeout(function () { timer = null; refresh(); }, refreshEvery);
    }
  }

  if (Number(jobsSection.getAttribute('data-pending')) > 0) {
    schedule();
  }

  var form = document.getElementById('tai-len');
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var input = document.getElementById('tep');
  var list = document.getElementById('tien-do');
  var drop = document.getElementById('vung-tha');
  var queue = Promise.resolve();

  // A record file goes to the records API, which imports it at once; a report to the upload queue.
  var recordFile = /\.(json|jsonl|ndjson|csv|xlsx)$/i;
  // What the page says of a row whose record staff deleted (keptDeletedOnPage, staff.go).
  var keptDeletedOnPage = 'bản ghi này đã bị xoá nên không được đưa lại; muốn khôi phục, tải tệp lên lại và đánh dấu ô “Khôi phục tài liệu đã bị xoá”.';

  // importOutcome says what a record file's import did, as the page does without script (importDetail,
  // staff.go): the counts, then the first problems, errors first, with their line.
  function importOutcome(out) {
    var counts = out.added + ' mới, ' + out.updated + ' cập nhật, ' + out.unchanged + ' không đổi';
    if (out.kept_deleted > 0) { counts += ', ' + out.kept_deleted + ' đã bị xoá không đưa lại'; }
    var total = out.added + out.updated + out.unchanged + out.kept_deleted;
    var head = total + ' bản ghi (' + counts + '), ' + out.rejected + ' bị loại, ' + out.warnings + ' cảnh báo';
    var problems = (out.problems || []).slice().sort(function (a, b) {
      return (a.severity === 'warning') - (b.severity === 'warning') || a.line - b.line;
    });
    var lines = problems.slice(0, 10).map(function (p) {
      return el('li', {}, ['Dòng ' + p.line + (p.id ? ' (mã ' + p.id + ')' : '') + ', ' +
        (p.severity === 'warning' ? 'cảnh báo' : 'lỗi') + ': ' + (p.code === 'kept_deleted' ? keptDeletedOnPage : p.message)]);
    });
    if (out.problems_truncated) {
      lines.push(el('li', {}, ['… và nhiều vấn đề khác (xem đủ bằng ketnoi index hoặc API /api/v1/records).']));
    } else if (problems.length > 10) {
      lines.push(el('li', {}, ['… và ' + (problems.length - 10) + ' vấn đề khác.']));
    }
    return { head: head, list: lines.length ? el('ul', {}, lines) : null };
  }

  // uploadOne sends one file to the API with the form's filled-in fields, showing its progress. A record
  // file takes only the restore box: the other fields are a report's.
  function uploadOne(file) {
    var isRecord = recordFile.test(file.name);
    var bar = el('progress', { max: '100', value: '0' }, []);
    var state = el('span', { 'class': 'upload-state' }, ['đang chờ tải lên']);
    var item = el('li', {}, [el('span', { 'class': 'name' }, [file.name]), ' ', bar, ' ', state]);
    list.appendChild(item);
    return new Promise(function (resolve) {
      var fd = new FormData();
      Array.prototype.forEach.call(form.elements, function (f) {
        if (f.name && f.name !== 'csrf' && f.type !== 'file' && f.value.trim() !== '' && (f.type !== 'checkbox' || f.checked) &&
            (!isRecord || f.name === 'restore')) {
          fd.append(f.name, f.value);
        }
      });
      fd.append('file', file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', isRecord ? '/api/v1/records' : '/api/v1/documents');
      xhr.setRequestHeader('X-CSRF-Token', csrf);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          state.textContent = 'đang tải lên ' + bar.value + '%';
        }
      };
      xhr.onload = function () {
        var out = null;
        if (isRecord && xhr.status === 200) {
          try { out = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        }
        if (out) {
          var o = importOutcome(out);
          bar.value = 100;
          state.textContent = 'đã nhập: ' + o.head;
          item.className = out.rejected > 0 ? 'error' : 'ok';
          if (o.list) { item.appendChild(o.list); }
        } else if (!isRecord && xhr.status === 202) {
          bar.value = 100;
          state.textContent = 'đã nhận, đang chờ xử lý';
          item.className = 'ok';
          refresh();
        } else {
          var msg = 'lỗi ' + xhr.status;
          try { msg = JSON.parse(xhr.responseText).message || msg; } catch (e) { /* not JSON */ }
          state.textContent = msg;
          item.className = 'error';
          if (xhr.status === 401) { signedOut(); }
        }
        resolve();
      };
      xhr.onerror = function () {
        state.textContent = 'mất kết nối tới máy chủ';
        item.className = 'error';
        resolve();
      };
      xhr.send(fd);
    });
  }

  // upload queues files one after another: the server indexes one at a time anyway.
  function upload(files) {
    Array.prototype.forEach.call(files, function (f) {
      queue = queue.then(function () { return uploadOne(f); });
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!input.files.length) {
      list.appendChild(el('li', { 'class': 'error' }, ['Chưa chọn tệp nào để tải lên.']));
      input.focus();
      return;
    }
    upload(input.files);
    input.value = '';
  });

  drop.hidden = false;
  drop.setAttribute('tabindex', '0');
  drop.setAttribute('role', 'button');
  drop.addEventListener('click', function () { input.click(); });
  drop.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); }
  });
  ['dragenter', 'dragover'].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); });
  });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files.length) { upload(e.dataTransfer.files); }
  });
  // A file dropped beside the zone must not make the browser leave the page to open it.
  window.addEventListener('dragover', function (e) { e.preventDefault(); });
  window.addEventListener('drop', function (e) { e.preventDefault(); });
})();
