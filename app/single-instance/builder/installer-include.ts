/**
 * The NSIS include electron-builder inserts before installing and uninstalling
 * (`customCheckAppRunning`), generated from the app's identity, so that the installer asks the
 * kernel about the very objects the running app holds, and about the processes it runs:
 *
 * - the **user's mutex** (`Local\` or `Global\<appId>-<SID>`), owned by the primary of the user
 *   logged on to the installer's session (found from the session, not from the installer's
 *   token, which may be an administrator's or SYSTEM's): an instance that user can be asked to
 *   close;
 * - the **installation mutex**, which every running instance of this installation holds,
 *   whichever user or session runs it (named from the app id and a hash of the install folder,
 *   the canonical folder hashed by the same Windows call on both sides);
 * - the **processes whose image lies under the install folder**: helpers, the primary between
 *   letting go of its lock and exiting, and a version of the app without sole-instance.
 *
 * What it does:
 * - Nothing of this installation runs: go on (another installation's instance is not asked).
 * - The user's instance of this installation runs: it asks (or, silent, goes straight on) and
 *   sends the app a quit request through the app's own authenticated channel: it runs the
 *   installed app with `--sole-instance-request=quit` **as the session's user, unelevated**,
 *   waits for that launch with a bound and reads its exit code, then waits, bounded, for every
 *   process of the installation to end. An app that does not quit is reported ("Retry"), never
 *   killed.
 * - Another user's or session's instance, an instance it cannot reach (an elevated app, a name
 *   held by another kind of object) or processes without an instance: it says so; it cannot
 *   close them from here.
 * - Updates (`--updated`, `/S`, and the old uninstaller an update runs) first wait, bounded, for
 *   an app that is quitting. Every error but "not found" counts as running: it fails closed.
 * - A silent run that gives up appends a line the app logs on its next start (in the session
 *   user's Local AppData), exits with code 2, and, when `--force-run` was asked, starts the
 *   installed (old) app again.
 *
 * The check runs once per process, in the process that installs: a hidden section runs it
 * before electron-builder's install section, so the elevated inner instance of an assisted
 * installer checks too (electron-builder itself checks only outside it). A failing uninstaller
 * of the previous version ends the update with a box that silent runs skip (electron-builder's
 * own shows even then).
 *
 * It uses no NSIS command newer than 3.04, the version electron-builder downloads by default.
 */
import * as path from 'node:path';
import { QUIT_REQUEST, installerNotesName, stateDirFor, win32InstallationMutexName, win32MutexName } from '../index.js';
import type { AppIdentity } from './app-identity.js';
import { BuildError } from './build-error.js';

/** What the include is generated from. */
export interface InstallerInclude extends AppIdentity {
  /** The product name the messages show. */
  productName: string;
}

/** Stands for a value NSIS computes at install time while the names are derived here. */
const SID_MARK = '\u0000SID\u0000';
const HASH_MARK = '\u0000HASH\u0000';
const LOCAL_APP_DATA_MARK = '\u0000LOCALAPPDATA\u0000';

/** The names the include opens and writes, as NSIS strings with the registers that fill them in. */
interface Names {
  /** The user's mutex, seen from the user's own session (`$R0`: the SID). */
  user: string;
  /** The user's mutex, seen from another session (`$R1`: the user's session id). */
  userFromOtherSession: string;
  /** The installation mutex (`$R4`: the install folder's hash). */
  installation: string;
  /** The app's state folder and the notes file in it (`$R7`: the user's Local AppData). */
  notesDir: string;
  notesFile: string;
}

/**
 * Text as the content of an NSIS double-quoted string: `$`, `"`, backquotes and line breaks escaped.
 * @param text - any text
 */
export function nsisString(text: string): string {
  return text.replace(/\$/g, '$$$$').replace(/"/g, '$\\"').replace(/`/g, '$\\`').replace(/\r/g, '$\\r').replace(/\n/g, '$\\n');
}

/** A name with NSIS registers where the install-time values go. */
function withRegisters(name: string, marks: Record<string, string>): string {
  let result = nsisString(name);
  for (const [mark, register] of Object.entries(marks)) {
    result = result.split(nsisString(mark)).join(register);
  }
  return result;
}

/** The names for an app, checked to be rebuildable by the installer. */
function namesOf(include: InstallerInclude): Names {
  const userMutex = win32MutexName(include.appId, include.scope, SID_MARK);
  if (!userMutex.includes(SID_MARK)) {
    throw new BuildError(`the mutex name for ${include.appId} is too long for the installer to rebuild; use a shorter app id.`);
  }
  // A Local\ name of another session is reached through that session's own namespace.
  const fromOtherSession = userMutex.replace(/^Local\\/, 'Session\\\u0000SESSION\u0000\\');
  const stateDir = stateDirFor('win32', LOCAL_APP_DATA_MARK);
  return {
    user: withRegisters(userMutex, { [SID_MARK]: '$R0' }),
    userFromOtherSession: withRegisters(fromOtherSession, { [SID_MARK]: '$R0', '\u0000SESSION\u0000': '$R1' }),
    installation: withRegisters(win32InstallationMutexName(include.appId, HASH_MARK), { [HASH_MARK]: '$R4' }),
    notesDir: withRegisters(stateDir, { [LOCAL_APP_DATA_MARK]: '$R7' }),
    notesFile: withRegisters(path.win32.join(stateDir, installerNotesName(include.appId)), { [LOCAL_APP_DATA_MARK]: '$R7' }),
  };
}

/**
 * The NSIS include for an app.
 * @param include - app id, scope and product name
 * @throws BuildError when the user's mutex name would need hashing (an app id too long for the installer to rebuild)
 */
export function renderInstallerInclude(include: InstallerInclude): string {
  const names = namesOf(include);
  return [
    header(include),
    sessionUser(),
    installFolder(),
    sample(names),
    waitWhileRunning(),
    trace(names),
    requestQuit(),
    giveUp(),
    check(),
    oldUninstallerResult(),
  ].join('\n');
}

function header(include: InstallerInclude): string {
  return `; Generated by sole-instance/builder from the app's identity; do not edit.
; App id ${include.appId}, scope ${include.scope}. electron-builder inserts customCheckAppRunning
; before installing and before uninstalling; a hidden section runs it in the process that
; installs. No process is ever killed. Written for NSIS 3.04 (electron-builder's default) and later.
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!ifndef SI_UPDATE_WAIT_MS
  !define SI_UPDATE_WAIT_MS 10000
!endif
!ifndef SI_QUIT_WAIT_MS
  !define SI_QUIT_WAIT_MS 15000
!endif
!ifndef SI_RETRY_WAIT_MS
  !define SI_RETRY_WAIT_MS 3000
!endif
!define SI_PRODUCT "${nsisString(include.productName)}"
; The app's program and electron-builder's uninstaller, named as electron-builder names them
; (its own defines come after this file, where the hidden section below is already compiled).
!ifdef APP_EXECUTABLE_FILENAME
  !define SI_EXECUTABLE "\${APP_EXECUTABLE_FILENAME}"
!else
  !define SI_EXECUTABLE "\${PRODUCT_FILENAME}.exe"
!endif
!define SI_UNINSTALLER "Uninstall \${PRODUCT_FILENAME}.exe"
; STARTUPINFOW and PROCESS_INFORMATION, and where STARTUPINFOW's lpDesktop lies.
!if \${NSIS_PTR_SIZE} > 4
  !define SI_STARTUPINFO_BYTES 104
  !define SI_PROCESS_INFO_BYTES 24
!else
  !define SI_STARTUPINFO_BYTES 68
  !define SI_PROCESS_INFO_BYTES 16
!endif
!define /math SI_DESKTOP_OFFSET \${NSIS_PTR_SIZE} * 2

; The command line's flags, read here with NSIS's own FileFunc (electron-builder's isUpdated and
; isForceRun call a plugin that is not yet found where its header includes this file).
!macro _siHasOption _a _b _t _f
  \${GetParameters} $R8
  ClearErrors
  \${GetOptions} $R8 "\${_b}" $R8
  IfErrors \`\${_f}\` \`\${_t}\`
!macroend
!define siIsUpdated \`"" siHasOption "--updated"\`
!define siIsForceRun \`"" siHasOption "--force-run"\`

; 1 once this process has checked: the user is asked (or the silent run acts) once.
Var siChecked
`;
}

/** `$R0`: the SID of the user logged on to the session; `$R1`: that session; `$R2`: 1 when the installer runs in another session. */
function sessionUser(): string {
  return `; $R0 = the SID of the user logged on to this session ("" when there is none or it cannot be
; read), whoever runs the installer (an administrator's or SYSTEM's token is not that user);
; $R1 = that session (the console's when the installer runs in session 0, as SYSTEM does);
; $R2 = 1 when the installer runs in another session than the user's.
!macro _siSessionUser
  StrCpy $R0 ""
  StrCpy $R2 0
  System::Call 'kernel32::GetCurrentProcessId() i .r5'
  System::Call 'kernel32::ProcessIdToSessionId(i r5, *i .R1) i .r2'
  \${If} $2 = 0
  \${OrIf} $R1 = 0
    System::Call 'kernel32::WTSGetActiveConsoleSessionId() i .R1'
    StrCpy $R2 1
  \${EndIf}
  System::Call 'wtsapi32::WTSQuerySessionInformationW(p 0, i R1, i 5, *p .r4, *i .r5) i .r2'
  \${If} $2 != 0
    System::Call 'kernel32::lstrcpynW(w .r6, p r4, i \${NSIS_MAX_STRLEN})'
    System::Call 'wtsapi32::WTSFreeMemory(p r4)'
    System::Call 'wtsapi32::WTSQuerySessionInformationW(p 0, i R1, i 7, *p .r4, *i .r5) i .r2'
    \${If} $2 != 0
    \${AndIf} $6 != ""
      System::Call 'kernel32::lstrcpynW(w .r7, p r4, i \${NSIS_MAX_STRLEN})'
      System::Call 'wtsapi32::WTSFreeMemory(p r4)'
      !insertmacro _siSidOfAccount "$7\\$6"
    \${EndIf}
  \${EndIf}
!macroend

; $R0 = the SID of an account, by name ("" when it cannot be looked up).
!macro _siSidOfAccount _account
  System::Alloc 256
  Pop $4
  System::Call 'advapi32::LookupAccountNameW(p 0, w "\${_account}", p r4, *i 256, w .r5, *i \${NSIS_MAX_STRLEN}, *i .r6) i .r2'
  \${If} $2 != 0
    System::Call 'advapi32::ConvertSidToStringSidW(p r4, *p .r6) i .r2'
    \${If} $2 != 0
      System::Call 'kernel32::lstrcpynW(w .R0, p r6, i \${NSIS_MAX_STRLEN})'
      System::Call 'kernel32::LocalFree(p r6)'
    \${EndIf}
  \${EndIf}
  System::Free $4
!macroend

; $4 = the SID of this installer's own token ("" when it cannot be read); $6 = 1 when it is elevated.
!macro _siOwnToken
  StrCpy $4 ""
  StrCpy $6 1
  System::Call 'advapi32::OpenProcessToken(p -1, i 0x0008, *p .r8) i .r2'
  \${If} $2 != 0
    System::Call 'advapi32::GetTokenInformation(p r8, i 20, *i .r6, i 4, *i .r5) i .r2'
    System::Alloc 256
    Pop $7
    System::Call 'advapi32::GetTokenInformation(p r8, i 1, p r7, i 256, *i .r5) i .r2'
    \${If} $2 != 0
      System::Call '*$7(p .r2)'
      System::Call 'advapi32::ConvertSidToStringSidW(p r2, *p .r5) i .r2'
      \${If} $2 != 0
        System::Call 'kernel32::lstrcpynW(w .r4, p r5, i \${NSIS_MAX_STRLEN})'
        System::Call 'kernel32::LocalFree(p r5)'
      \${EndIf}
    \${EndIf}
    System::Free $7
    System::Call 'kernel32::CloseHandle(p r8)'
  \${EndIf}
!macroend
`;
}

/** `$R3`: the canonical install folder; `$R4`: its hash, as the app computes it. */
function installFolder(): string {
  return `; $R3 = the install folder as the file system names it (8.3 names, subst drives, junctions and
; forward slashes resolved, as the app resolves its own folder); $R4 = its hash as the app
; computes it (RtlHashUnicodeString, case-insensitive, X65599), 8 hex digits.
!macro _siInstallFolder
  System::Call 'kernel32::CreateFileW(w "$INSTDIR", i 0, i 7, p 0, i 3, i 0x02000000, p 0) p .r5'
  StrCpy $R3 ""
  \${If} $5 != -1
  \${AndIf} $5 != 0
    System::Call 'kernel32::GetFinalPathNameByHandleW(p r5, w .R3, i \${NSIS_MAX_STRLEN}, i 0) i .r2'
    System::Call 'kernel32::CloseHandle(p r5)'
    StrCpy $6 $R3 8
    StrCpy $7 $R3 4
    \${If} $6 == "\\\\?\\UNC\\"
      StrCpy $R3 $R3 "" 8
      StrCpy $R3 "\\\\$R3"
    \${ElseIf} $7 == "\\\\?\\"
      StrCpy $R3 $R3 "" 4
    \${EndIf}
  \${EndIf}
  \${If} $R3 == ""
    ; Not there yet: as the file system would name it, lexically.
    System::Call 'kernel32::GetFullPathNameW(w "$INSTDIR", i \${NSIS_MAX_STRLEN}, w .R3, p 0) i .r2'
  \${EndIf}
  StrCpy $6 $R3 1 -1
  \${If} $6 == "\\"
    StrCpy $R3 $R3 -1
  \${EndIf}
  System::Call '*(&w\${NSIS_MAX_STRLEN} "$R3") p .r5'
  System::Alloc 16
  Pop $6
  System::Call 'ntdll::RtlInitUnicodeString(p r6, p r5)'
  System::Call 'ntdll::RtlHashUnicodeString(p r6, i 1, i 1, *i .r3) i .r2'
  System::Free $6
  System::Free $5
  IntFmt $R4 "%08x" $3
!macroend
`;
}

/** One look at what runs: the user's mutex, the installation mutex, the installation's processes. */
function sample(names: Names): string {
  return `; $4 = the user's mutex: 0 free or absent, 1 owned (an instance of the session's user runs),
; 2 cannot tell (access denied: an elevated app; another kind of object holds the name; no SID).
; Looked at without ever owning it, so that an app starting meanwhile is never refused.
!macro _siUserMutex
  StrCpy $4 2
  \${If} $R0 != ""
    \${If} $R2 = 1
      StrCpy $R7 "${names.userFromOtherSession}"
    \${Else}
      StrCpy $R7 "${names.user}"
    \${EndIf}
    System::Call 'kernel32::OpenMutexW(i 0x00100001, i 0, w R7) p .r5 ?e'
    Pop $6
    \${If} $5 != 0
      ; MUTANT_BASIC_INFORMATION: CurrentCount is 1 while nobody owns it.
      System::Call '*(i 1, i 0) p .r8'
      System::Call 'ntdll::NtQueryMutant(p r5, i 0, p r8, i 8, p 0) i .r6'
      System::Call '*$8(i .r9)'
      System::Free $8
      System::Call 'kernel32::CloseHandle(p r5)'
      \${If} $6 = 0
        StrCpy $4 0
        \${If} $9 < 1
          StrCpy $4 1
        \${EndIf}
      \${EndIf}
    \${ElseIf} $6 = 2
      StrCpy $4 0
    \${EndIf}
  \${EndIf}
!macroend

; $8 = the installation mutex: 0 absent, 1 held by an instance of this installation (or the name
; cannot be opened for another reason: counted as held).
!macro _siInstallationMutex
  StrCpy $R7 "${names.installation}"
  System::Call 'kernel32::OpenMutexW(i 0x00100000, i 0, w R7) p .r5 ?e'
  Pop $6
  StrCpy $8 1
  \${If} $5 != 0
    System::Call 'kernel32::CloseHandle(p r5)'
  \${ElseIf} $6 = 2
    StrCpy $8 0
  \${EndIf}
!macroend

; $9 = how many processes (this one and the uninstaller aside) run an image under the install folder.
!macro _siInstallationProcesses
  Push $R6
  Push $8
  StrCpy $9 0
  System::Alloc 16384
  Pop $R5
  System::Call 'kernel32::K32EnumProcesses(p R5, i 16384, *i .r6) i .r2'
  IntOp $6 $6 / 4
  System::Call 'kernel32::GetCurrentProcessId() i .r8'
  StrLen $R8 "$R3\\"
  StrCpy $R6 0
  \${DoWhile} $R6 < $6
    IntOp $2 $R6 * 4
    IntPtrOp $2 $R5 + $2
    System::Call '*$2(i .r2)'
    IntOp $R6 $R6 + 1
    \${If} $2 != $8
      System::Call 'kernel32::OpenProcess(i 0x1000, i 0, i r2) p .r5'
      \${If} $5 != 0
        StrCpy $R9 ""
        System::Call 'kernel32::QueryFullProcessImageNameW(p r5, i 0, w .R9, *i \${NSIS_MAX_STRLEN}) i .r2'
        System::Call 'kernel32::CloseHandle(p r5)'
        System::Call 'kernel32::GetLongPathNameW(w R9, w .r7, i \${NSIS_MAX_STRLEN}) i .r5'
        \${If} $5 != 0
          StrCpy $R9 $7
        \${EndIf}
        StrCpy $2 $R9 $R8
        \${If} $2 == "$R3\\"
          StrCpy $2 "$R3\\\${SI_UNINSTALLER}"
          \${If} $R9 != $2
            IntOp $9 $9 + 1
          \${EndIf}
        \${EndIf}
      \${EndIf}
    \${EndIf}
  \${Loop}
  System::Free $R5
  Pop $8
  Pop $R6
!macroend

; $2 = what runs: 0 nothing of this installation; 1 the session user's instance of this
; installation (it can be asked to quit); 2 another user's or session's instance; 3 an instance
; that cannot be reached or whose owner cannot be told; 4 processes of this installation without
; an instance (helpers, an app exiting, a version without sole-instance).
!macro _siSample
  !insertmacro _siUserMutex
  !insertmacro _siInstallationMutex
  !insertmacro _siInstallationProcesses
  StrCpy $2 0
  \${If} $4 = 2
  \${AndIf} $R0 != ""
    StrCpy $2 3
  \${ElseIf} $8 = 1
  \${OrIf} $9 > 0
    \${If} $4 = 1
      StrCpy $2 1
    \${ElseIf} $8 = 1
      StrCpy $2 2
      \${If} $R0 == ""
        StrCpy $2 3
      \${EndIf}
    \${Else}
      StrCpy $2 4
    \${EndIf}
  \${EndIf}
!macroend
`;
}

function waitWhileRunning(): string {
  return `; Looks again every 100 ms while anything of this installation runs, for at most $3 ms.
!macro _siWaitWhileRunning
  StrCpy $R6 0
  \${Do}
    !insertmacro _siSample
    \${If} $2 = 0
    \${OrIf} $R6 >= $3
      \${Break}
    \${EndIf}
    Sleep 100
    IntOp $R6 $R6 + 100
  \${Loop}
!macroend
`;
}

function trace(names: Names): string {
  return `; Appends a line the app logs on its next start ($7: what happened) to the Local AppData of the
; session's user, where that user's app reads it, whoever runs the installer.
!macro _siTrace
  StrCpy $R7 ""
  \${If} $R0 != ""
    ReadRegStr $R7 HKU "$R0\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\Shell Folders" "Local AppData"
    \${If} $R7 == ""
      ReadRegStr $R7 HKLM "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\$R0" "ProfileImagePath"
      \${If} $R7 != ""
        StrCpy $R7 "$R7\\AppData\\Local"
      \${EndIf}
    \${EndIf}
  \${EndIf}
  \${If} $R7 != ""
    CreateDirectory "${names.notesDir}"
    FileOpen $5 "${names.notesFile}" a
    \${If} $5 != ""
      FileSeek $5 0 END
      FileWriteUTF16LE /BOM $5 "$7$\\r$\\n"
      FileClose $5
    \${EndIf}
  \${EndIf}
!macroend
`;
}

function requestQuit(): string {
  return `; Starts the command line in $R8 as the session's user, at that user's own (unelevated) rights:
; never with this installer's token, which may be elevated, an administrator's or SYSTEM's.
; $9 != 0 when it started; $R5 and $R6 point at its STARTUPINFOW and PROCESS_INFORMATION.
!macro _siStartAsUser
  System::Alloc \${SI_STARTUPINFO_BYTES}
  Pop $R5
  System::Call '*$R5(i \${SI_STARTUPINFO_BYTES})'
  System::Call '*(&w32 "winsta0\\default") p .R7'
  IntPtrOp $2 $R5 + \${SI_DESKTOP_OFFSET}
  System::Call '*$2(p R7)'
  System::Alloc \${SI_PROCESS_INFO_BYTES}
  Pop $R6
  StrCpy $9 0
  ; SYSTEM (a deployment tool): the session user's own token.
  System::Call 'wtsapi32::WTSQueryUserToken(i R1, *p .r8) i .r2'
  \${If} $2 != 0
    System::Call 'userenv::CreateEnvironmentBlock(*p .r5, p r8, i 0) i .r2'
    \${If} $2 = 0
      StrCpy $5 0
    \${EndIf}
    System::Call 'advapi32::CreateProcessAsUserW(p r8, p 0, w R8, p 0, p 0, i 0, i 0x400, p r5, p 0, p R5, p R6) i .r9'
    \${If} $5 != 0
      System::Call 'userenv::DestroyEnvironmentBlock(p r5)'
    \${EndIf}
    System::Call 'kernel32::CloseHandle(p r8)'
  \${EndIf}
  \${If} $9 = 0
    !insertmacro _siOwnToken
    \${If} $6 = 0
    \${AndIf} $4 == $R0
      ; The session's user, unelevated: as this installer is.
      System::Call 'kernel32::CreateProcessW(p 0, w R8, p 0, p 0, i 0, i 0, p 0, p 0, p R5, p R6) i .r9'
    \${Else}
      !insertmacro _siStartWithShellToken
    \${EndIf}
  \${EndIf}
  System::Free $R7
!macroend

; An installer the session's user elevated: the token of that user's shell (unelevated), when it
; is that user's. $9 != 0 when the process started.
!macro _siStartWithShellToken
  System::Call 'user32::GetShellWindow() p .r2'
  System::Call 'user32::GetWindowThreadProcessId(p r2, *i .r5) i .r4'
  System::Call 'kernel32::OpenProcess(i 0x1000, i 0, i r5) p .r5'
  \${If} $5 != 0
    System::Call 'advapi32::OpenProcessToken(p r5, i 0x000B, *p .r8) i .r2'
    System::Call 'kernel32::CloseHandle(p r5)'
    \${If} $2 != 0
      System::Alloc 256
      Pop $5
      System::Call 'advapi32::GetTokenInformation(p r8, i 1, p r5, i 256, *i .r2) i .r2'
      System::Call '*$5(p .r2)'
      System::Call 'advapi32::ConvertSidToStringSidW(p r2, *p .r2) i .r4'
      \${If} $4 != 0
        System::Call 'kernel32::lstrcpynW(w .R9, p r2, i \${NSIS_MAX_STRLEN})'
        System::Call 'kernel32::LocalFree(p r2)'
        \${If} $R9 == $R0
          System::Call 'advapi32::DuplicateTokenEx(p r8, i 0x02000000, p 0, i 2, i 1, *p .r2) i .r4'
          \${If} $4 != 0
            System::Call 'advapi32::CreateProcessWithTokenW(p r2, i 0, p 0, w R8, i 0, p 0, p 0, p R5, p R6) i .r9'
            System::Call 'kernel32::CloseHandle(p r2)'
          \${EndIf}
        \${EndIf}
      \${EndIf}
      System::Free $5
      System::Call 'kernel32::CloseHandle(p r8)'
    \${EndIf}
  \${EndIf}
!macroend

; Asks the running app to quit through its own channel: the installed app, run with the quit
; request as the session's user, hands it over as a launch. Its exit code goes to $5 (0: asked,
; 4: asked but no reply; others: not delivered), or "timeout" when it did not end within
; SI_QUIT_WAIT_MS (an installed version that does not know the request opens a window and
; stays: it is left as it is), or "notrun" when it could not be started as the user.
!macro _siRequestQuit
  !ifdef SI_QUIT_COMMAND
    StrCpy $R8 \${SI_QUIT_COMMAND}
  !else
    StrCpy $R8 "$\\"$INSTDIR\\\${SI_EXECUTABLE}$\\" ${QUIT_REQUEST}"
  !endif
  !insertmacro _siStartAsUser
  StrCpy $5 "notrun"
  \${If} $9 != 0
    System::Call '*$R6(p .r8, p .r9)'
    System::Call 'kernel32::WaitForSingleObject(p r8, i \${SI_QUIT_WAIT_MS}) i .r2'
    StrCpy $5 "timeout"
    \${If} $2 = 0
      System::Call 'kernel32::GetExitCodeProcess(p r8, *i .r5)'
    \${EndIf}
    System::Call 'kernel32::CloseHandle(p r9)'
    System::Call 'kernel32::CloseHandle(p r8)'
  \${EndIf}
  System::Free $R6
  System::Free $R5
!macroend
`;
}

function giveUp(): string {
  return `; Starts the installed (old) app again, as the session's user, unelevated, as the quit request is
; started; it is not waited for.
!macro _siRelaunch
  !ifdef SI_RELAUNCH_COMMAND
    StrCpy $R8 \${SI_RELAUNCH_COMMAND}
  !else
    StrCpy $R8 "$\\"$INSTDIR\\\${SI_EXECUTABLE}$\\""
  !endif
  !insertmacro _siStartAsUser
  \${If} $9 != 0
    System::Call '*$R6(p .r8, p .r9)'
    System::Call 'kernel32::CloseHandle(p r9)'
    System::Call 'kernel32::CloseHandle(p r8)'
  \${EndIf}
  System::Free $R6
  System::Free $R5
!macroend

; Gives up: a trace when silent, the old app started again when --force-run asked, exit code 2.
!macro _siGiveUp
  \${If} \${Silent}
    !insertmacro _siTrace
  \${EndIf}
  \${If} \${siIsForceRun}
    !insertmacro _siRelaunch
  \${EndIf}
  SetErrorLevel 2
  Quit
!macroend

; $7 = what stopped the update, after a quit request whose outcome is in $5.
!macro _siNotClosed
  \${If} $5 == "timeout"
    StrCpy $7 "\${SI_PRODUCT}'s request to quit did not end within \${SI_QUIT_WAIT_MS} ms (an installed version that does not know it?); nothing was killed, the update was not installed."
  \${ElseIf} $5 == "notrun"
    StrCpy $7 "The request to quit \${SI_PRODUCT} could not be run as the logged-in user; the update was not installed."
  \${ElseIf} $5 == 0
  \${OrIf} $5 == 4
    StrCpy $7 "\${SI_PRODUCT} did not close within \${SI_QUIT_WAIT_MS} ms when asked to; the update was not installed."
  \${Else}
    StrCpy $7 "\${SI_PRODUCT} did not take the request to quit (exit code $5); the update was not installed."
  \${EndIf}
!macroend
`;
}

function check(): string {
  return `; The check itself; registers are the caller's to save.
!macro _siCheck _id
  !insertmacro _siSessionUser
  !insertmacro _siInstallFolder
  StrCpy $3 0
  \${If} \${Silent}
  \${OrIf} \${siIsUpdated}
    StrCpy $3 \${SI_UPDATE_WAIT_MS}
  \${EndIf}
  si_check_\${_id}:
  !insertmacro _siWaitWhileRunning
  \${If} $2 = 1
    MessageBox MB_OKCANCEL|MB_ICONEXCLAMATION "$(appRunning)" /SD IDOK IDOK si_quit_\${_id}
    SetErrorLevel 2
    Quit
    si_quit_\${_id}:
    !insertmacro _siRequestQuit
    StrCpy $3 0
    \${If} $5 == 0
    \${OrIf} $5 == 4
      StrCpy $3 \${SI_QUIT_WAIT_MS}
    \${EndIf}
    Push $5
    !insertmacro _siWaitWhileRunning
    Pop $5
    \${If} $2 != 0
      !insertmacro _siNotClosed
      StrCpy $3 \${SI_RETRY_WAIT_MS}
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(appCannotBeClosed)" /SD IDCANCEL IDRETRY si_check_\${_id}
      !insertmacro _siGiveUp
    \${EndIf}
  \${ElseIf} $2 = 2
    StrCpy $7 "\${SI_PRODUCT} is running for another user or in another session; it cannot be closed from here. Ask them to close it, then click Retry."
    StrCpy $3 \${SI_RETRY_WAIT_MS}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$7" /SD IDCANCEL IDRETRY si_check_\${_id}
    !insertmacro _siGiveUp
  \${ElseIf} $2 = 3
    StrCpy $7 "\${SI_PRODUCT} is running, but the installer cannot reach it (it may run elevated, or its name is held by another program); it was not closed and the update was not installed."
    StrCpy $3 \${SI_RETRY_WAIT_MS}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(appCannotBeClosed)" /SD IDCANCEL IDRETRY si_check_\${_id}
    !insertmacro _siGiveUp
  \${ElseIf} $2 = 4
    StrCpy $7 "Processes of \${SI_PRODUCT} still run from $R3 without an instance that can be asked to quit (helpers, the app exiting, or a version without sole-instance); nothing was killed, the update was not installed."
    StrCpy $3 \${SI_RETRY_WAIT_MS}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(appCannotBeClosed)" /SD IDCANCEL IDRETRY si_check_\${_id}
    !insertmacro _siGiveUp
  \${EndIf}
!macroend

!macro customCheckAppRunning
  \${If} $siChecked != 1
    StrCpy $siChecked 1
    !insertmacro _siSaveRegisters
    !insertmacro _siCheck \${__COUNTER__}
    !insertmacro _siRestoreRegisters
  \${EndIf}
!macroend

!macro _siSaveRegisters
  Push $0
  Push $1
  Push $2
  Push $3
  Push $4
  Push $5
  Push $6
  Push $7
  Push $8
  Push $9
  Push $R0
  Push $R1
  Push $R2
  Push $R3
  Push $R4
  Push $R5
  Push $R6
  Push $R7
  Push $R8
  Push $R9
!macroend

!macro _siRestoreRegisters
  Pop $R9
  Pop $R8
  Pop $R7
  Pop $R6
  Pop $R5
  Pop $R4
  Pop $R3
  Pop $R2
  Pop $R1
  Pop $R0
  Pop $9
  Pop $8
  Pop $7
  Pop $6
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Pop $0
!macroend

; electron-builder checks in its install section only outside the elevated inner instance of an
; assisted installer, which is the one that installs when the user chose "for all users": this
; section, first of all, checks in whichever process runs the sections.
!ifndef BUILD_UNINSTALLER
  Section "-sole-instance check"
    !insertmacro customCheckAppRunning
  SectionEnd
!endif
`;
}

function oldUninstallerResult(): string {
  return `; The previous version's uninstaller, which an update runs silently, failed ($R0: its exit
; code), after electron-builder's own retries: the update stops with exit code 2, as this check
; does, and with a box that a silent run skips (electron-builder's own shows even then).
!macro _siOldUninstallerResult
  \${If} \${Errors}
    DetailPrint "The previous version's uninstaller could not be started."
  \${ElseIf} $R0 != 0
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(uninstallFailed): $R0" /SD IDOK
    StrCpy $8 $R0
    !insertmacro _siSessionUser
    StrCpy $7 "The previous version of \${SI_PRODUCT} could not be uninstalled (exit code $8); the update was not installed."
    !insertmacro _siGiveUp
  \${EndIf}
!macroend

!macro customUnInstallCheck
  !insertmacro _siOldUninstallerResult
!macroend

!macro customUnInstallCheckCurrentUser
  !insertmacro _siOldUninstallerResult
!macroend
`;
}
