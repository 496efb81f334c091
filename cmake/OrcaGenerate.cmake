# orca_generate(target SOURCES a.orca ... [IMPORT_DIRS dir ...] [OUTPUT_DIR dir])
# orca_generate(TARGET target SOURCES ...)   (protobuf_generate()'s spelling)
#
# Runs orcac on each .orca file at build time and adds the generated
# NAME.orca.c to target, with NAME.orca.h reachable through target's include
# path (OUTPUT_DIR, default CMAKE_CURRENT_BINARY_DIR/orca_gen). orcac writes a depfile, so editing an imported .orca file regenerates.
# target is linked to the runtime (orca in this tree, Orca::orca installed).
function(orca_generate)
  cmake_parse_arguments(ARG "" "TARGET;OUTPUT_DIR" "SOURCES;IMPORT_DIRS" ${ARGN})
  set(target ${ARG_TARGET})
  set(extra ${ARG_UNPARSED_ARGUMENTS})
  if(NOT target AND extra)
    list(POP_FRONT extra target)
  endif()
  if(NOT target)
    message(FATAL_ERROR "orca_generate: no target (orca_generate(TARGET t SOURCES ...))")
  endif()
  if(extra)
    message(FATAL_ERROR "orca_generate(${target}): unexpected arguments: ${extra} "
                        "(known: TARGET, SOURCES, IMPORT_DIRS, OUTPUT_DIR)")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "orca_generate: '${target}' is not a target (add_executable or "
                        "add_library first)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "orca_generate(${target}): no SOURCES")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/orca_gen)
  endif()
  set(import_flags)
  foreach(dir IN LISTS ARG_IMPORT_DIRS)
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND import_flags -I "${dir}")
  endforeach()
  if(TARGET orcac)
    set(orcac_cmd $<TARGET_FILE:orcac>)
    set(orcac_dep orcac)
    set(runtime_lib orca)
  else()
    set(orcac_cmd $<TARGET_FILE:Orca::orcac>)
    set(orcac_dep Orca::orcac)
    set(runtime_lib Orca::orca)
  endif()
  set(outputs)
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE)
    get_filename_component(name "${src}" NAME_WE)
    set(h ${ARG_OUTPUT_DIR}/${name}.orca.h)
    set(c ${ARG_OUTPUT_DIR}/${name}.orca.c)
    set(d ${ARG_OUTPUT_DIR}/${name}.orca.d)
    add_custom_command(
      OUTPUT ${h} ${c}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${ARG_OUTPUT_DIR}
      COMMAND ${orcac_cmd} ${import_flags} -o ${ARG_OUTPUT_DIR} --depfile ${d} ${src}
      DEPENDS ${src} ${orcac_dep}
      DEPFILE ${d}
      COMMENT "orcac ${name}.orca"
      VERBATIM)
    list(APPEND outputs ${h} ${c})
  endforeach()
  target_sources(${target} PRIVATE ${outputs})
  target_include_directories(${target} PUBLIC ${ARG_OUTPUT_DIR})
  target_link_libraries(${target} PUBLIC ${runtime_lib})
endfunction()
