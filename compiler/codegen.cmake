# compiler/codegen.cmake — the code generator's part of the orcac build.
#
#   include(${CMAKE_CURRENT_SOURCE_DIR}/codegen.cmake)
#   orcac_add_codegen(<target>)
# adds compiler/codegen*.c and the embedded templates (generated from
# templates/*.mustache at build time by cmake/OrcaEmbed.cmake, regenerated
# when a template changes) to <target>, the library or executable that holds
# the rest of orcac.
function(orcac_add_codegen target)
  set(dir ${PROJECT_SOURCE_DIR}/compiler)
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/codegen*.c)
  set(embed ${CMAKE_CURRENT_BINARY_DIR}/orcac_templates_embed.c)
  orca_embed(OUTPUT ${embed} DIR ${PROJECT_SOURCE_DIR}/templates SUFFIX .mustache
             INCLUDE codegen_internal.h TYPE orcac_template ARRAY orcac__templates
             COUNT orcac__ntemplates COMMENT "Embedding orcac templates")
  target_sources(${target} PRIVATE ${sources} ${embed})
  target_include_directories(${target} PRIVATE ${dir} ${PROJECT_SOURCE_DIR})
endfunction()
