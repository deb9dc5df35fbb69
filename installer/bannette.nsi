; Windows installer of the desktop app (NSIS 3, Modern UI 2, in French).
;
; Per-user: no administrator rights, installed in %LOCALAPPDATA%\Programs\Bannette like
; other per-user applications. Built by scripts/freeze (Linux, to check it compiles) and by
; .github/workflows/windows.yml:
;   makensis /DVERSION=0.1.0 /DDIST=dist\bannette /DOUTFILE=dist\Bannette-0.1.0-installation.exe
;            installer\bannette.nsi
; VERSION comes from pyproject.toml (the build script reads it); DIST is the PyInstaller folder.

Unicode true
!ifdef QUICK
  ; scripts/freeze on Linux only proves the script compiles: lzma over 300 MB takes minutes.
  SetCompress off
!else
  SetCompressor /SOLID lzma
!endif

!ifndef VERSION
  !error "VERSION manquante : makensis /DVERSION=x.y.z (la version de pyproject.toml)"
!endif
!ifndef DIST
  !define DIST "..\dist\bannette"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\Bannette-${VERSION}-installation.exe"
!endif

!define APP "Bannette"
!define EXE "bannette.exe"
!define PUBLISHER "Équipe bannette"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Bannette"
!define SETTINGS_KEY "Software\Bannette"
; platformdirs.user_data_dir("bannette", appauthor=False) on Windows: the database, the
; settings, the attachments cache.
!define DATA_DIR "$LOCALAPPDATA\bannette"
!define TEMPLATES_DIR "$DOCUMENTS\Bannette\Modèles"

Name "${APP}"
Caption "Installation de ${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${SETTINGS_KEY}" "InstallDir"
RequestExecutionLevel user
ShowInstDetails show
ShowUninstDetails show
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1036 "ProductName" "${APP}"
VIAddVersionKey /LANG=1036 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1036 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1036 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1036 "FileDescription" "Installation de ${APP}"
VIAddVersionKey /LANG=1036 "LegalCopyright" "AGPL-3.0-or-later"

!include "MUI2.nsh"
!include "nsDialogs.nsh"
!include "LogicLib.nsh"

!define MUI_ICON "..\resources\icons\bannette.ico"
!define MUI_UNICON "..\resources\icons\bannette.ico"
!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Lancer ${APP} maintenant"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "..\LICENSE"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
UninstPage custom un.DataPage un.DataPageLeave
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "French"

; A running bannette.exe cannot be opened for writing (Windows locks a running executable):
; that tells, without any plug-in, whether the app is open from this folder.
!macro REFUSE_IF_RUNNING
  ${If} ${FileExists} "$INSTDIR\${EXE}"
    ClearErrors
    FileOpen $0 "$INSTDIR\${EXE}" a
    ${If} ${Errors}
      MessageBox MB_ICONSTOP|MB_OK "${APP} est ouvert sur cet ordinateur.$\r$\n$\r$\nFermez-le (menu Fichier › Quitter), puis relancez cette opération." /SD IDOK
      Abort
    ${EndIf}
    FileClose $0
  ${EndIf}
!macroend

Section "${APP} (obligatoire)" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  !insertmacro REFUSE_IF_RUNNING
  ; The previous version's files go first: a module removed in the new one must not linger.
  RMDir /r "$INSTDIR\_internal"
  File /r "${DIST}\*"
  WriteUninstaller "$INSTDIR\Désinstaller ${APP}.exe"

  CreateDirectory "$SMPROGRAMS\${APP}"
  CreateShortcut "$SMPROGRAMS\${APP}\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  CreateShortcut "$SMPROGRAMS\${APP}\Désinstaller ${APP}.lnk" "$INSTDIR\Désinstaller ${APP}.exe"

  ; The commune's own Word templates: a folder she can find, kept at uninstall.
  CreateDirectory "${TEMPLATES_DIR}"
  ${IfNot} ${FileExists} "${TEMPLATES_DIR}\Lisez-moi.txt"
    FileOpen $1 "${TEMPLATES_DIR}\Lisez-moi.txt" w
    FileWriteUTF16LE /BOM $1 "Modèles de courriers de la commune (Word, .docx)$\r$\n$\r$\n"
    FileWriteUTF16LE $1 "Déposez ici, dans un dossier au nom de la commune, vos propres modèles :$\r$\n"
    FileWriteUTF16LE $1 "ils remplacent ceux fournis avec Bannette (même nom de fichier).$\r$\n"
    FileWriteUTF16LE $1 "Ce dossier est conservé lors de la désinstallation.$\r$\n"
    FileClose $1
  ${EndIf}

  WriteRegStr HKCU "${SETTINGS_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${SETTINGS_KEY}" "TemplatesDir" "${TEMPLATES_DIR}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Désinstaller ${APP}.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Raccourci sur le Bureau" SecDesktop
  CreateShortcut "$DESKTOP\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "Le logiciel, son raccourci dans le menu Démarrer et le dossier des modèles de la commune (Documents\Bannette\Modèles)."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "Une icône ${APP} sur le Bureau."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  !insertmacro REFUSE_IF_RUNNING
FunctionEnd

Function .onVerifyInstDir
  ; A per-user install must not go where only an administrator may write.
  StrCpy $0 "$INSTDIR" 16
  ${If} $0 == "$PROGRAMFILES\"
    Abort
  ${EndIf}
FunctionEnd

; ---- Uninstaller --------------------------------------------------------------------------

Var RemoveData
Var RemoveDataBox

Function un.onInit
  !insertmacro REFUSE_IF_RUNNING
  StrCpy $RemoveData ${BST_UNCHECKED}
FunctionEnd

Function un.DataPage
  !insertmacro MUI_HEADER_TEXT "Vos données" "Le logiciel sera retiré ; vos données restent, sauf si vous cochez la case."
  nsDialogs::Create 1018
  Pop $0
  ${NSD_CreateLabel} 0 0 100% 48u "Vos demandes enregistrées sur ce poste, les changements pas encore envoyés au serveur, vos réglages et les modèles de la commune sont conservés : ils resserviront si vous réinstallez ${APP}."
  Pop $0
  ${NSD_CreateCheckbox} 0 56u 100% 24u "Supprimer aussi mes données (base locale, réglages, modèles de la commune). Ce qui n'a pas été envoyé au serveur sera perdu."
  Pop $RemoveDataBox
  ${NSD_SetState} $RemoveDataBox $RemoveData
  nsDialogs::Show
FunctionEnd

Function un.DataPageLeave
  ${NSD_GetState} $RemoveDataBox $RemoveData
FunctionEnd

Section "Uninstall"
  Delete "$DESKTOP\${APP}.lnk"
  RMDir /r "$SMPROGRAMS\${APP}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\Désinstaller ${APP}.exe"
  RMDir "$INSTDIR"
  ${If} $RemoveData == ${BST_CHECKED}
    RMDir /r "${DATA_DIR}"
    RMDir /r "${TEMPLATES_DIR}"
    RMDir "$DOCUMENTS\Bannette"
    DeleteRegKey HKCU "${SETTINGS_KEY}"
  ${EndIf}
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
