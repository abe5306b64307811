-- Drives `weft lsp` from Neovim's own LSP client (the API of Neovim 0.7, the
-- oldest the set-up installs): opens a broken file, waits for its diagnostic,
-- fixes the buffer without saving, waits for the diagnostic to go, jumps to a
-- definition in the `use`d file, and writes what happened to $WEFT_OUT, one
-- fact per line, for the Rust test to check.
local bin = os.getenv('WEFT_BIN')
local main = os.getenv('WEFT_MAIN')
local out_path = os.getenv('WEFT_OUT')
local lines = {}

local function say(s)
  table.insert(lines, s)
end

local function finish()
  local f = io.open(out_path, 'w')
  f:write(table.concat(lines, '\n') .. '\n')
  f:close()
  vim.cmd('qa!')
end

vim.cmd('edit ' .. vim.fn.fnameescape(main))
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = 'weft',
  cmd = { bin, 'lsp' },
  root_dir = vim.fn.fnamemodify(main, ':h'),
})
if not client_id then
  say('error: the client did not start')
  return finish()
end
vim.lsp.buf_attach_client(buf, client_id)

if not vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 20) then
  say('error: no diagnostic arrived')
  return finish()
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  say(string.format('diagnostic %d:%d %s', d.lnum, d.col, tostring(code)))
end

-- Fix the mistake in the buffer (unsaved): the diagnostic goes away.
vim.api.nvim_buf_set_lines(buf, 1, 2, false, { 'img<v> = ring(0.3) + shade@v' })
if vim.wait(20000, function() return #vim.diagnostic.get(buf) == 0 end, 20) then
  say('cleared')
end

-- Go to the definition of `ring`, in lib.weft.
vim.api.nvim_win_set_cursor(0, { 2, 10 })
local client = vim.lsp.get_client_by_id(client_id)
local resp = client.request_sync('textDocument/definition', vim.lsp.util.make_position_params(), 20000, buf)
local result = resp and resp.result
local loc = result and (result[1] or result)
if loc and loc.uri then
  vim.lsp.util.jump_to_location(loc, 'utf-16')
end
local cur = vim.api.nvim_win_get_cursor(0)
say(string.format('definition %s %d:%d', vim.api.nvim_buf_get_name(0), cur[1], cur[2]))
vim.lsp.stop_client(client_id)
finish()
