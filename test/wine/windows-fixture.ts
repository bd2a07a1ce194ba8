/**
 * The Windows-only fixture program of the installer suite, run with node.exe under Wine. Each
 * scenario prints JSON lines; those that hold something stay until they are stopped:
 *
 *   node windows-fixture.js linger [ms]                   runs from the install folder and holds nothing (a helper,
 *                                                         a version without sole-instance); exits after [ms] if given
 *   node windows-fixture.js squat <name>                  holds an Event named <name>: another kind of object under a mutex's name
 *   node windows-fixture.js mutex-state <name>            the mutex's state, read without owning it (NtQueryMutant)
 *   node windows-fixture.js hold-installation <appId> <folder>   holds the installation mutex of <folder>, as an
 *                                                         instance run from there by another user would
 *   node windows-fixture.js installation <appId> <folder> the name of <folder>'s installation mutex
 *   node windows-fixture.js dialog <pattern> <button> <ms>   a person in front of the installer: waits up to <ms> for a
 *                                                         message box whose text matches <pattern>, prints it, clicks <button>
 *   node windows-fixture.js alive <pid>                   whether the process runs (nobody killed it)
 *   node windows-fixture.js short-path <path>             the path's 8.3 form
 */
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };
import { win32InstallationMutexName } from 'sole-instance';
import { loadKoffi } from '../../app/single-instance/platform/koffi.js';
import { canonicalFolder } from '../../app/single-instance/platform/win32.js';
import { loadWin32Api } from '../../app/single-instance/platform/win32-api.js';

/** The buttons a message box has, by the id its WM_COMMAND carries. */
const BUTTONS: Record<string, number> = { ok: 1, cancel: 2, retry: 4 };
/** The id of a message box's text (MSGBOX_IDTEXT). */
const MESSAGE_BOX_TEXT = 0xffff;
const WM_COMMAND = 0x111;
const SYNCHRONIZE_AND_QUERY = 0x00100001;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const STILL_ACTIVE = 259;

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function stay(): void {
  setInterval(() => undefined, 60_000);
}

function linger(ms: string | undefined): void {
  print({ lingering: process.pid });
  if (ms === undefined) {
    stay();
  } else {
    setTimeout(() => undefined, Number(ms));
  }
}

async function squat(name: string): Promise<void> {
  const kernel32 = (await loadKoffi()).load('kernel32.dll');
  const CreateEventW = kernel32.func('void * __stdcall CreateEventW(void *attributes, int manualReset, int initialState, const char16_t *name)');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const handle = CreateEventW(null, 1, 0, name) as unknown;
  print({ squatted: name, held: Boolean(handle), error: GetLastError() as number });
  stay();
}

async function mutexState(name: string): Promise<void> {
  const koffi = await loadKoffi();
  const kernel32 = koffi.load('kernel32.dll');
  const OpenMutexW = kernel32.func('void * __stdcall OpenMutexW(uint32_t access, int inherit, const char16_t *name)');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void *handle)');
  const NtQueryMutant = koffi.load('ntdll.dll').func('int32_t __stdcall NtQueryMutant(void *handle, int infoClass, void *info, uint32_t length, void *returned)');
  const handle = OpenMutexW(SYNCHRONIZE_AND_QUERY, 0, name) as unknown;
  if (!handle) {
    print({ exists: false, error: GetLastError() as number });
    return;
  }
  // MUTANT_BASIC_INFORMATION: LONG CurrentCount; BOOLEAN OwnedByCaller; BOOLEAN AbandonedState.
  const info = Buffer.alloc(8);
  const status = NtQueryMutant(handle, 0, info, info.length, null) as number;
  CloseHandle(handle);
  print({ exists: true, status, owned: info.readInt32LE(0) < 1, abandoned: info.readUInt8(5) === 1 });
}

/** The installation mutex of an app run from `folder`, named as the app names it. */
async function installationOf(appId: string, folder: string): Promise<string> {
  return win32InstallationMutexName(appId, (await loadWin32Api()).hashFolder(canonicalFolder(folder)));
}

async function holdInstallation(appId: string, folder: string): Promise<void> {
  const installation = await installationOf(appId, folder);
  print({ installation, held: Boolean((await loadWin32Api()).openForEveryone(installation)) });
  stay();
}

/** The text of each top-level message box now on the desktop, with its window. */
function messageBoxes(user32: Koffi.LibraryHandle): { window: unknown; text: string }[] {
  const FindWindowExW = user32.func('void * __stdcall FindWindowExW(void *parent, void *after, const char16_t *className, const char16_t *title)');
  const GetDlgItem = user32.func('void * __stdcall GetDlgItem(void *dialog, int id)');
  const GetWindowTextW = user32.func('int __stdcall GetWindowTextW(void *window, void *text, int max)');
  const boxes: { window: unknown; text: string }[] = [];
  for (let window = FindWindowExW(null, null, '#32770', null) as unknown; window; window = FindWindowExW(null, window, '#32770', null) as unknown) {
    const item = GetDlgItem(window, MESSAGE_BOX_TEXT) as unknown;
    const text = Buffer.alloc(4096);
    const length = item ? (GetWindowTextW(item, text, text.length / 2) as number) : 0;
    boxes.push({ window, text: text.subarray(0, length * 2).toString('utf16le') });
  }
  return boxes;
}

async function dialog(pattern: string, button: string, ms: string): Promise<void> {
  const id = BUTTONS[button];
  if (id === undefined) {
    throw new Error(`unknown button ${JSON.stringify(button)}`);
  }
  const user32 = (await loadKoffi()).load('user32.dll');
  const PostMessageW = user32.func('int __stdcall PostMessageW(void *window, uint32_t message, uintptr_t wParam, intptr_t lParam)');
  const wanted = new RegExp(pattern);
  const deadline = Date.now() + Number(ms);
  const look = setInterval(() => {
    const box = messageBoxes(user32).find((candidate) => wanted.test(candidate.text));
    if (box) {
      clearInterval(look);
      print({ dialog: box.text });
      print({ clicked: button, posted: PostMessageW(box.window, WM_COMMAND, id, 0) as number });
    } else if (Date.now() > deadline) {
      clearInterval(look);
      print({ dialog: null });
      process.exitCode = 1;
    }
  }, 50);
}

async function alive(pid: string): Promise<void> {
  const kernel32 = (await loadKoffi()).load('kernel32.dll');
  const OpenProcess = kernel32.func('void * __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)');
  const GetExitCodeProcess = kernel32.func('int __stdcall GetExitCodeProcess(void *process, _Out_ uint32_t *code)');
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void *handle)');
  const process_ = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, Number(pid)) as unknown;
  const code = [0];
  const known = Boolean(process_) && (GetExitCodeProcess(process_, code) as number) !== 0;
  CloseHandle(process_);
  print({ alive: known && code[0] === STILL_ACTIVE });
}

async function shortPath(target: string): Promise<void> {
  const GetShortPathNameW = (await loadKoffi()).load('kernel32.dll').func('uint32_t __stdcall GetShortPathNameW(const char16_t *path, void *shortPath, uint32_t length)');
  const buffer = Buffer.alloc(2048);
  const length = GetShortPathNameW(target, buffer, buffer.length / 2) as number;
  print({ short: buffer.subarray(0, length * 2).toString('utf16le') });
}

async function main(): Promise<void> {
  const [scenario = '', ...args] = process.argv.slice(2);
  switch (scenario) {
    case 'linger':
      return linger(args[0]);
    case 'squat':
      return squat(args[0] ?? '');
    case 'mutex-state':
      return mutexState(args[0] ?? '');
    case 'hold-installation':
      return holdInstallation(args[0] ?? '', args[1] ?? '');
    case 'installation':
      return print({ installation: await installationOf(args[0] ?? '', args[1] ?? '') });
    case 'dialog':
      return dialog(args[0] ?? '', args[1] ?? '', args[2] ?? '30000');
    case 'alive':
      return alive(args[0] ?? '');
    case 'short-path':
      return shortPath(args[0] ?? '');
    default:
      throw new Error(`unknown scenario ${JSON.stringify(scenario)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
