# Embeds the chat page into the binary: llmkit_embed_web_assets(OUT) adds a build-time custom
# command that writes the C++ file OUT, defining llmkit::server::web_assets()
# (llmkit/server/web_assets.h) over the files below. The conversion is web/embed_web_assets.cmake,
# run in -P mode. Every input is a DEPENDS, so editing one regenerates OUT. The browser builds of
# marked and dompurify come from web/node_modules/ (scripts/install_web_deps.sh, run by
# scripts/setup.sh); when they are missing the generation step fails and says so.

set(LLMKIT_WEB_DIR ${CMAKE_CURRENT_LIST_DIR})

function(llmkit_embed_web_assets out)
  set(web ${LLMKIT_WEB_DIR})
  # URL path, then the file served there (its content type follows from the extension).
  set(assets
      /index.html ${web}/index.html
      /app.js ${web}/app.js
      /style.css ${web}/style.css
      /vendor/marked.js ${web}/node_modules/marked/lib/marked.esm.js
      /vendor/purify.js ${web}/node_modules/dompurify/dist/purify.es.mjs)
  set(files)
  list(LENGTH assets n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 1 ${last} 2)
    list(GET assets ${i} file)
    list(APPEND files ${file})
  endforeach()
  # Depend on the inputs that exist: a missing one (web/node_modules/ before scripts/setup.sh) is
  # reported by the script with what to do, rather than by Ninja as "no known rule". The glob is
  # re-checked at each build, so installing the packages re-runs CMake and adds them.
  file(GLOB present CONFIGURE_DEPENDS ${files})
  set(script ${web}/embed_web_assets.cmake)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -P ${script} ${out} ${assets}
    DEPENDS ${script} ${present} ${web}/package-lock.json
    COMMENT "Embedding the web page (web/) into ${out}"
    VERBATIM)
endfunction()
