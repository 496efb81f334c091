# compiler/codegen.cmake — the code generator's part of the orcac build.
#
#   include(${CMAKE_CURRENT_SOURCE_DIR}/codegen.cmake)
#   orcac_add_codegen(<target>)
# adds compiler/codegen*.c and the embedded templates (generated from
# templates/*.mustache at build time, regenerated when a template changes) to
# <target>, the library or executable that holds the rest of orcac.
function(orcac_add_codegen target)
  set(dir ${PROJECT_SOURCE_DIR}/compiler)
  file(GLOB templates CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/templates/*.mustache)
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/codegen*.c)
  set(embed ${CMAKE_CURRENT_BINARY_DIR}/orcac_templates_embed.c)
  add_custom_command(
    OUTPUT ${embed}
    COMMAND ${CMAKE_COMMAND} -DTEMPLATES_DIR=${PROJECT_SOURCE_DIR}/templates -DOUTPUT=${embed}
            -P ${dir}/templates_embed.cmake
    DEPENDS ${templates} ${dir}/templates_embed.cmake
    COMMENT "Embedding orcac templates"
    VERBATIM)
  target_sources(${target} PRIVATE ${sources} ${embed})
  target_include_directories(${target} PRIVATE ${dir} ${PROJECT_SOURCE_DIR})
endfunction()
